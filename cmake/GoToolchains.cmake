# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Go toolchains for the Go test fixtures, and a function that builds one
# fixture with each of them, unstripped and stripped.
#
# LW_GO_TOOLCHAINS: list of `go` executables.  Default: Debian's golang
# (/usr/lib/go-1.NN/bin/go, Go 1.19 on Debian 12) plus whatever
# scripts/go-toolchains.sh put in LW_GO_CACHE (go1.NN/bin/go).
set(LW_GO_CACHE "/var/cache/leakwatch/go" CACHE PATH
    "Where scripts/setup.sh puts extra Go toolchains")
# Released esbuild binaries: Go built by others (scripts/esbuild-fetch.sh),
# read by test_gobin and integration_go_esbuild_*.
set(LW_ESBUILD_CACHE "/var/cache/leakwatch/esbuild" CACHE PATH
    "Where scripts/setup.sh puts the esbuild binaries")
if(NOT LW_GO_TOOLCHAINS)
  file(GLOB _lw_debian_go /usr/lib/go-1.*/bin/go)
  file(GLOB _lw_cached_go ${LW_GO_CACHE}/go1.*/bin/go)
  set(LW_GO_TOOLCHAINS ${_lw_debian_go} ${_lw_cached_go})
  list(SORT LW_GO_TOOLCHAINS COMPARE NATURAL)
endif()

# The version tag ("1.19", "1.26") of each toolchain, from `go env GOVERSION`
# (go1.19.8 -> 1.19).  LW_GO_TAGS and LW_GO_TOOLCHAINS are parallel lists.
set(LW_GO_TAGS "")
set(_lw_go_ok "")
foreach(_go ${LW_GO_TOOLCHAINS})
  execute_process(COMMAND ${_go} env GOVERSION OUTPUT_VARIABLE _v
                  RESULT_VARIABLE _rc OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
  if(_rc EQUAL 0 AND _v MATCHES "^go1\\.([0-9]+)")
    list(FIND LW_GO_TAGS "1.${CMAKE_MATCH_1}" _dup)
    if(_dup EQUAL -1)
      list(APPEND LW_GO_TAGS "1.${CMAKE_MATCH_1}")
      list(APPEND _lw_go_ok ${_go})
    endif()
  endif()
endforeach()
set(LW_GO_TOOLCHAINS ${_lw_go_ok})
if(LW_GO_TAGS)
  message(STATUS "Go toolchains for fixtures: ${LW_GO_TAGS}")
else()
  message(STATUS "Go toolchains for fixtures: none (run scripts/setup.sh)")
endif()

# lw_go_fixture(NAME SRC_DIR [CGO] [MIN_TAG 1.NN] [GOEXPERIMENT EXP])
# Builds the main package in SRC_DIR (standard library only, with a go.mod
# saying "go 1.19") with every
# toolchain into ${CMAKE_BINARY_DIR}/go/NAME-<tag> and NAME-<tag>-stripped
# (-s -w: no .symtab, no DWARF).  Adds a target go_NAME building them all.
# Without CGO the binaries are static (CGO_ENABLED=0), like most Go
# services shipped in containers.  MIN_TAG skips older toolchains (a
# fixture of a runtime feature they lack); GOEXPERIMENT builds with that
# experiment on.  Sets NAME_TAGS in the caller's scope: the tags built
# (no target at all when none is).
function(lw_go_fixture name src_dir)
  cmake_parse_arguments(PARSE_ARGV 2 arg "CGO" "MIN_TAG;GOEXPERIMENT" "")
  set(cgo 0)
  if(arg_CGO)
    set(cgo 1)
  endif()
  file(GLOB_RECURSE srcs ${src_dir}/*.go)
  set(outs "")
  set(tags "")
  set(i 0)
  foreach(go ${LW_GO_TOOLCHAINS})
    list(GET LW_GO_TAGS ${i} tag)
    math(EXPR i "${i} + 1")
    if(arg_MIN_TAG AND tag VERSION_LESS arg_MIN_TAG)
      continue()
    endif()
    list(APPEND tags ${tag})
    foreach(variant "" "-stripped")
      set(out ${CMAKE_BINARY_DIR}/go/${name}-${tag}${variant})
      set(ldflags "")
      if(variant STREQUAL "-stripped")
        set(ldflags "-ldflags=-s -w")
      endif()
      # One Go build cache for every build tree (the sanitizer tree
      # rebuilds the same fixtures): only the link step runs twice.
      add_custom_command(OUTPUT ${out}
        COMMAND ${CMAKE_COMMAND} -E env
                GOCACHE=${LW_GO_CACHE}/build-cache
                GOPATH=${CMAKE_BINARY_DIR}/go-path
                GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOPROXY=off
                CGO_ENABLED=${cgo} GOEXPERIMENT=${arg_GOEXPERIMENT}
                # Unquoted: an empty ldflags must vanish, not become an
                # empty package argument; the one element keeps its space.
                ${go} build ${ldflags} -o ${out} .
        WORKING_DIRECTORY ${src_dir}
        DEPENDS ${srcs}
        COMMENT "go ${tag}: ${name}${variant}"
        VERBATIM)
      list(APPEND outs ${out})
    endforeach()
  endforeach()
  set(${name}_TAGS ${tags} PARENT_SCOPE)
  if(outs)
    add_custom_target(go_${name} ALL DEPENDS ${outs})
  endif()
endfunction()
