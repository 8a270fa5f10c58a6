headway_add_test(tracker_redis_test LABEL integration
  SOURCES integration/tracker_redis_test.cpp
  LIBS Boost::json)

# The blocking Redis connection: reconnecting after Redis closed it, never
# sending a command twice.
headway_add_test(redis_connection_test LABEL integration
  SOURCES integration/redis_connection_test.cpp)

# `headway demo-tracker`, the job the quick start runs.
headway_add_test(demo_tracker_test LABEL integration
  SOURCES integration/demo_tracker_test.cpp
  LIBS Boost::json)

# Whole-program checks run in the plain build only: a sanitized libheadway
# cannot be linked by an unsanitized outside project, and the replay check runs
# the binary hundreds of times.
if(NOT HEADWAY_SANITIZE)
  # An outside CMake project finds the installed package and links headway::headway.
  add_test(NAME install_consumer_test
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(install_consumer_test PROPERTIES LABELS integration)

  # The shared library exports the public API and hides the rest.
  add_test(NAME exported_symbols_test
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/exported_symbols_test.sh $<TARGET_FILE:headway>)
  set_tests_properties(exported_symbols_test PROPERTIES LABELS integration)


  # `headway eta-replay` on a known trace, its error paths, and eta-bench's causality check.
  add_test(NAME eta_replay_test
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/eta_replay_test.sh $<TARGET_FILE:headway_cli>)
  set_tests_properties(eta_replay_test PROPERTIES LABELS integration)
endif()

# The six-node cluster launcher and ClusterClient's routing and redirects.
headway_add_test(redis_cluster_test LABEL integration
  SOURCES integration/redis_cluster_test.cpp)

# The Tracker writing to a Redis Cluster with the cluster names.
headway_add_test(tracker_cluster_test LABEL integration
  SOURCES integration/tracker_cluster_test.cpp
  LIBS Boost::json)
