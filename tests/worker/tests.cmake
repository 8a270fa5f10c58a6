# The worker (src/worker): validation and parsing in isolation, then the queue
# library and real `headway worker` processes against a real redis-server and
# SQLite files and a real PostgreSQL.
headway_add_test(worker_unit_test LABEL unit
  SOURCES worker/worker_unit_test.cpp
  LIBS headway_worker)

headway_add_test(job_queue_test LABEL integration
  SOURCES worker/job_queue_test.cpp worker/worker_fixture.cpp
  LIBS headway_worker)

headway_add_test(worker_process_test LABEL integration
  SOURCES worker/worker_process_test.cpp worker/worker_fixture.cpp
  LIBS headway_worker)

headway_add_test(liveness_test LABEL integration
  SOURCES worker/liveness_test.cpp worker/worker_fixture.cpp
  LIBS headway_worker)
