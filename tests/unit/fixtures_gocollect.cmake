# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fixtures for test_gocollect: fixtures/goparked built with every Go
# toolchain found by cmake/GoToolchains.cmake (goparked-<tag> and
# goparked-<tag>-stripped, static).  The test gets the tags through
# LW_GO_TAGS and the binaries' directory through LW_GO_FIXTURE_DIR.
if(TARGET test_gocollect AND LW_GO_TAGS)
  lw_go_fixture(goparked ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/goparked)
  add_dependencies(test_gocollect go_goparked)
  string(REPLACE ";" "," _goparked_tags "${LW_GO_TAGS}")
  set_property(TEST unit_gocollect APPEND PROPERTY ENVIRONMENT
    "LW_GO_TAGS=${_goparked_tags}"
    "LW_GO_FIXTURE_DIR=${CMAKE_BINARY_DIR}/go")
endif()
