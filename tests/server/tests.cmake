# The stream server (src/server): the real `headway serve` over loopback HTTP
# against a real redis-server, plus in-process checks that need a hook.
headway_add_test(server_stream_test LABEL integration
  SOURCES server/server_stream_test.cpp server/many_jobs_stream_test.cpp
    server/server_faults_test.cpp
    server/server_reconnect_test.cpp server/poisoned_records_test.cpp
    server/server_fixture.cpp
  LIBS headway_store headway_auth Boost::json)
target_include_directories(server_stream_test PRIVATE
  $<TARGET_PROPERTY:headway_redis,INTERFACE_INCLUDE_DIRECTORIES>)
add_dependencies(server_stream_test headway_cli)

headway_add_test(server_inprocess_test LABEL integration
  SOURCES server/server_inprocess_test.cpp server/server_fixture.cpp
  LIBS headway_server headway_store headway_auth Boost::json)
target_include_directories(server_inprocess_test PRIVATE
  $<TARGET_PROPERTY:headway_redis,INTERFACE_INCLUDE_DIRECTORIES>)

# Authentication and ownership (docs/auth.md) on SQLite and PostgreSQL.
headway_add_test(server_auth_test LABEL integration
  SOURCES server/auth_test.cpp server/server_fixture.cpp
  LIBS headway_store headway_auth Boost::json)
target_include_directories(server_auth_test PRIVATE
  $<TARGET_PROPERTY:headway_redis,INTERFACE_INCLUDE_DIRECTORIES>)
add_dependencies(server_auth_test headway_cli)

# The job API and the static web UI against real server and worker processes,
# on SQLite and PostgreSQL.
headway_add_test(jobs_api_test LABEL integration
  SOURCES server/jobs_api_test.cpp server/static_files_test.cpp server/server_fixture.cpp
  LIBS headway_store headway_auth Boost::json)
target_include_directories(jobs_api_test PRIVATE
  $<TARGET_PROPERTY:headway_redis,INTERFACE_INCLUDE_DIRECTORIES>)
add_dependencies(jobs_api_test headway_cli)

# The account commands (`headway user`, `headway token`) run as scripts run
# them, against `headway serve`, on SQLite and PostgreSQL.
headway_add_test(cli_accounts_test LABEL integration
  SOURCES server/cli_accounts_test.cpp server/server_fixture.cpp
  LIBS headway_store headway_auth Boost::json)
target_include_directories(cli_accounts_test PRIVATE
  $<TARGET_PROPERTY:headway_redis,INTERFACE_INCLUDE_DIRECTORIES>)
add_dependencies(cli_accounts_test headway_cli)

# Hostile and odd clients against the real `headway serve`: abrupt
# disconnects of every kind, drain, and the HTTP rules the server enforces.
headway_add_test(server_hostile_test LABEL integration
  SOURCES server/server_disconnects_test.cpp server/server_http_rules_test.cpp
          server/raw_client.cpp server/server_fixture.cpp
  LIBS headway_store headway_auth Boost::json)
target_include_directories(server_hostile_test PRIVATE
  $<TARGET_PROPERTY:headway_redis,INTERFACE_INCLUDE_DIRECTORIES>)
add_dependencies(server_hostile_test headway_cli)

# The client commands (`submit`, `jobs`, `watch`, `token list`): --json,
# --version, the documented exit statuses, against a real `headway serve`.
headway_add_test(cli_client_test LABEL integration
  SOURCES server/cli_client_test.cpp server/server_fixture.cpp
  LIBS headway_store headway_auth Boost::json)
target_include_directories(cli_client_test PRIVATE
  $<TARGET_PROPERTY:headway_redis,INTERFACE_INCLUDE_DIRECTORIES>)
add_dependencies(cli_client_test headway_cli)

# The configuration file, environment and flags of `headway serve` and
# `headway worker`, and both configured by the file alone running a job.
headway_add_test(config_file_test LABEL integration
  SOURCES server/config_file_test.cpp server/server_fixture.cpp
  LIBS headway_store headway_auth Boost::json)
target_include_directories(config_file_test PRIVATE
  $<TARGET_PROPERTY:headway_redis,INTERFACE_INCLUDE_DIRECTORIES>)
add_dependencies(config_file_test headway_cli)

# The server's concurrency core in-process with no sockets: the route table,
# stream mailboxes, the fan-out, frame rendering, the login limiter and the
# credential cache.
headway_add_test(server_core_test LABEL unit
  SOURCES server/concurrency_core_test.cpp
  LIBS headway_server headway_store Boost::json)

# Redis behind Sentinel and over TLS: real master, replica and Sentinel
# processes (a failover by SIGKILL), a TLS-only redis-server with test
# certificates; the Tracker and `headway serve` through both.
headway_add_test(redis_ha_test LABEL integration
  SOURCES server/redis_ha_test.cpp server/server_fixture.cpp
  LIBS headway_store headway_auth Boost::json)
target_include_directories(redis_ha_test PRIVATE
  $<TARGET_PROPERTY:headway_redis,INTERFACE_INCLUDE_DIRECTORIES>)
add_dependencies(redis_ha_test headway_cli)
