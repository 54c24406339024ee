# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Workloads for test_allocators.  Built without lw_flags (and so without
# sanitizers): they stand for ordinary programs whose allocators we find.
set(_lw_alloc_src ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/alloc_fixture.c)

# Dynamically linked (PIE): its allocators live in libc.so.6.
add_executable(alloc_dyn ${_lw_alloc_src})

# Static glibc, non-PIE: only .symtab, allocators in the executable.
add_executable(alloc_static ${_lw_alloc_src})
target_link_options(alloc_static PRIVATE -static)

# An executable that defines malloc itself.
add_executable(alloc_own ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/alloc_own.c)

set(_lw_alloc_fixtures alloc_dyn alloc_static alloc_own)

# Static musl, if musl-gcc is there; test_allocators skips it otherwise.
find_program(LW_MUSL_GCC musl-gcc)
if(LW_MUSL_GCC)
  set(_lw_musl_out ${CMAKE_CURRENT_BINARY_DIR}/alloc_musl)
  add_custom_command(OUTPUT ${_lw_musl_out}
    COMMAND ${LW_MUSL_GCC} -static -O2 -g -o ${_lw_musl_out} ${_lw_alloc_src}
    DEPENDS ${_lw_alloc_src}
    COMMENT "Building musl static fixture alloc_musl")
  add_custom_target(alloc_musl DEPENDS ${_lw_musl_out})
  list(APPEND _lw_alloc_fixtures alloc_musl)
else()
  message(STATUS "musl-gcc not found: test_allocators skips the musl case")
endif()

if(TARGET test_allocators)
  add_dependencies(test_allocators ${_lw_alloc_fixtures})
endif()
