#include "support/test_databases.hpp"

#include <memory>
#include <stdexcept>

#include "support/postgres_server.hpp"

namespace headway::test {

std::string fresh_database(const std::string& backend) {
  if (backend == "sqlite")
    return {};
  if (backend != "postgres")
    throw std::invalid_argument("unknown database backend: " + backend);
  static auto server = std::make_unique<PostgresServer>();
  static int counter = 0;
  return server->create_database("jobs_" + std::to_string(++counter));
}

}  // namespace headway::test
