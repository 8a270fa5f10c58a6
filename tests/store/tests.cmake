# The job store (src/store). job_store_test starts its own PostgreSQL cluster
# (tests/support/postgres_server.cpp) and fails if PostgreSQL is not installed.
headway_add_test(store_url_test LABEL unit
  SOURCES store/store_url_test.cpp
  LIBS headway_store)

headway_add_test(job_store_test LABEL integration
  SOURCES store/job_store_test.cpp store/auth_store_test.cpp
  LIBS headway_store)
