headway_add_test(unit_tests LABEL unit
  SOURCES
    unit/stage_plan_test.cpp
    unit/progress_record_test.cpp
    unit/redis_url_test.cpp
    unit/cluster_slot_test.cpp
    unit/tracker_logic_test.cpp
    unit/eta_test.cpp
    unit/eta_hedge_test.cpp
  LIBS Boost::json)

headway_add_test(auth_test LABEL unit
  SOURCES unit/auth_test.cpp
  LIBS headway_auth)

# The SSE/WebSocket readers of src/client (the load tool's and the chaos suite's).
headway_add_test(event_stream_test LABEL unit
  SOURCES unit/event_stream_test.cpp
  LIBS headway_stream_client)

# The in-memory sink through the public headers alone, as a program testing
# its own use of a Tracker sees it.
headway_add_test(memory_sink_test LABEL unit
  SOURCES unit/memory_sink_test.cpp)

# The job list and resume position of the many-job stream (src/server).
headway_add_test(job_list_test LABEL unit
  SOURCES unit/job_list_test.cpp
  LIBS headway_server)
