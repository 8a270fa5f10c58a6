# The deployment around the server (deploy/): nginx in front with TLS, the
# Prometheus rules and Grafana dashboard against a real scrape, the OpenAPI
# document against real answers. pytest on Debian's python3 (python3-pytest,
# python3-jsonschema), with real redis-server, `headway serve`, nginx and
# promtool processes.
set(HEADWAY_TEST_PYTHON /usr/bin/python3 CACHE FILEPATH
  "The Python the deployment tests run on (Debian's, with python3-pytest)")
foreach(suite nginx observability openapi)
  add_test(NAME deploy_${suite}_test
    COMMAND ${HEADWAY_TEST_PYTHON} -m pytest -q -p no:cacheprovider
            ${CMAKE_CURRENT_SOURCE_DIR}/deploy/test_${suite}.py)
  set_tests_properties(deploy_${suite}_test PROPERTIES LABELS integration
    ENVIRONMENT "HEADWAY_BIN=$<TARGET_FILE:headway_cli>;HEADWAY_SOURCE_DIR=${PROJECT_SOURCE_DIR};PYTHONDONTWRITEBYTECODE=1")
endforeach()
