# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fixtures for test_gobin: fixtures/gobin built with every Go toolchain
# found by cmake/GoToolchains.cmake (gobin-<tag>, gobin-<tag>-stripped),
# plus position-independent builds (gobin-<tag>-pie[-stripped]) with the
# oldest and newest toolchains, whose pointers only exist as relocations.
# The test gets the tags through LW_GO_TAGS / LW_GO_PIE_TAGS and the
# binaries' directory through LW_GO_FIXTURE_DIR.
if(TARGET test_gobin AND LW_GO_TAGS)
  set(_gobin_src ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/gobin)
  lw_go_fixture(gobin ${_gobin_src})
  add_dependencies(test_gobin go_gobin)

  list(LENGTH LW_GO_TAGS _gobin_n)
  math(EXPR _gobin_last "${_gobin_n} - 1")
  set(_gobin_pie_tags "")
  set(_gobin_pie_outs "")
  foreach(i RANGE 0 ${_gobin_last} ${_gobin_last})
    if(_gobin_last EQUAL 0 AND NOT i EQUAL 0)
      continue()
    endif()
    list(GET LW_GO_TAGS ${i} _tag)
    list(GET LW_GO_TOOLCHAINS ${i} _go)
    list(APPEND _gobin_pie_tags ${_tag})
    foreach(variant "" "-stripped")
      set(out ${CMAKE_BINARY_DIR}/go/gobin-${_tag}-pie${variant})
      set(ldflags "")
      if(variant STREQUAL "-stripped")
        set(ldflags "-ldflags=-s -w")
      endif()
      add_custom_command(OUTPUT ${out}
        COMMAND ${CMAKE_COMMAND} -E env
                GOCACHE=${CMAKE_BINARY_DIR}/go-cache
                GOPATH=${CMAKE_BINARY_DIR}/go-path
                GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOPROXY=off
                CGO_ENABLED=0
                ${_go} build -buildmode=pie ${ldflags} -o ${out} .
        WORKING_DIRECTORY ${_gobin_src}
        DEPENDS ${_gobin_src}/main.go ${_gobin_src}/go.mod
        COMMENT "go ${_tag}: gobin-pie${variant}"
        VERBATIM)
      list(APPEND _gobin_pie_outs ${out})
    endforeach()
  endforeach()
  add_custom_target(go_gobin_pie DEPENDS ${_gobin_pie_outs})
  add_dependencies(test_gobin go_gobin_pie)

  string(REPLACE ";" "," _gobin_tags "${LW_GO_TAGS}")
  string(REPLACE ";" "," _gobin_pie_tags "${_gobin_pie_tags}")
  set_property(TEST unit_gobin APPEND PROPERTY ENVIRONMENT
    "LW_GO_TAGS=${_gobin_tags}" "LW_GO_PIE_TAGS=${_gobin_pie_tags}"
    "LW_GO_FIXTURE_DIR=${CMAKE_BINARY_DIR}/go")
endif()
