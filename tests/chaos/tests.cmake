# The chaos suite: faults injected into a real cluster (redis-server, two
# servers, two workers) under load; docs/reliability.md. Its own label, so
# `ctest -L chaos` runs it alone and `-LE chaos` leaves it out.
headway_add_test(chaos_test LABEL chaos
  SOURCES chaos/chaos_test.cpp chaos/chaos_cluster.cpp chaos/stream_fleet.cpp
    server/server_fixture.cpp
  LIBS headway_store headway_auth headway_stream_client Boost::json)
target_include_directories(chaos_test PRIVATE
  $<TARGET_PROPERTY:headway_redis,INTERFACE_INCLUDE_DIRECTORIES>)
add_dependencies(chaos_test headway_cli)
set_tests_properties(chaos_test PROPERTIES TIMEOUT 1500)
