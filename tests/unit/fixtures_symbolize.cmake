# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fixtures for test_symbolize: plain -g -O0 programs (no lw_flags, no
# sanitizers) and the stripped / split-debug copies made from them.  All
# land in this directory, which the test finds through LW_FIXTURE_DIR.
set(SYM_FIX_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fixtures)
set(SYM_OUT ${CMAKE_CURRENT_BINARY_DIR})
set(SYM_FIX_FLAGS -g -O0 -fno-omit-frame-pointer -fno-inline)

# A PIE with DWARF; -rdynamic exports sym_alpha into .dynsym.
add_executable(sym_prog ${SYM_FIX_DIR}/sym_prog.c)
target_compile_options(sym_prog PRIVATE ${SYM_FIX_FLAGS} -fPIE)
target_link_options(sym_prog PRIVATE -pie)
set_target_properties(sym_prog PROPERTIES ENABLE_EXPORTS ON
  RUNTIME_OUTPUT_DIRECTORY ${SYM_OUT})
target_link_libraries(sym_prog PRIVATE ${CMAKE_DL_LIBS})

# dlopen()ed by sym_prog --wait.
add_library(sym_lib SHARED ${SYM_FIX_DIR}/sym_lib.c)
target_compile_options(sym_lib PRIVATE ${SYM_FIX_FLAGS})
set_target_properties(sym_lib PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${SYM_OUT})

add_executable(sym_cxx ${SYM_FIX_DIR}/sym_cxx.cc)
target_compile_options(sym_cxx PRIVATE ${SYM_FIX_FLAGS} -fPIE)
target_link_options(sym_cxx PRIVATE -pie)
set_target_properties(sym_cxx PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${SYM_OUT})

# sym_dbglink/sym_prog: stripped, DWARF and .symtab in sym_prog.debug next
# to it, found through .gnu_debuglink.  sym_stripped/sym_prog: .dynsym only.
find_program(SYM_OBJCOPY NAMES objcopy REQUIRED)
find_program(SYM_STRIP NAMES strip REQUIRED)
file(MAKE_DIRECTORY ${SYM_OUT}/sym_dbglink ${SYM_OUT}/sym_stripped)
add_custom_command(
  OUTPUT ${SYM_OUT}/sym_dbglink/sym_prog ${SYM_OUT}/sym_dbglink/sym_prog.debug
  COMMAND ${SYM_OBJCOPY} --only-keep-debug $<TARGET_FILE:sym_prog>
    ${SYM_OUT}/sym_dbglink/sym_prog.debug
  # --add-gnu-debuglink records the basename and the CRC of the file.
  COMMAND ${SYM_OBJCOPY} --strip-all --add-gnu-debuglink=sym_prog.debug
    $<TARGET_FILE:sym_prog> sym_prog
  WORKING_DIRECTORY ${SYM_OUT}/sym_dbglink
  DEPENDS sym_prog
  VERBATIM)
add_custom_command(
  OUTPUT ${SYM_OUT}/sym_stripped/sym_prog
  COMMAND ${SYM_STRIP} --strip-all -o ${SYM_OUT}/sym_stripped/sym_prog
    $<TARGET_FILE:sym_prog>
  DEPENDS sym_prog
  VERBATIM)
add_custom_target(sym_variants DEPENDS
  ${SYM_OUT}/sym_dbglink/sym_prog ${SYM_OUT}/sym_stripped/sym_prog)

add_dependencies(test_symbolize sym_prog sym_lib sym_cxx sym_variants)

# Go executables: test_gobin's fixtures (fixtures_gobin.cmake), stripped
# and not, for every toolchain and as PIEs.
if(TARGET test_gobin AND LW_GO_TAGS)
  add_dependencies(test_symbolize go_gobin go_gobin_pie)
  string(REPLACE ";" "," _sym_go_tags "${LW_GO_TAGS}")
  list(GET LW_GO_TAGS 0 _sym_go_old)
  list(GET LW_GO_TAGS -1 _sym_go_new)
  set(_sym_go_pie_tags ${_sym_go_old})
  if(NOT _sym_go_new STREQUAL _sym_go_old)
    list(APPEND _sym_go_pie_tags ${_sym_go_new})
  endif()
  string(REPLACE ";" "," _sym_go_pie_tags "${_sym_go_pie_tags}")
  set_property(TEST unit_symbolize APPEND PROPERTY ENVIRONMENT
    "LW_GO_TAGS=${_sym_go_tags}" "LW_GO_PIE_TAGS=${_sym_go_pie_tags}"
    "LW_GO_FIXTURE_DIR=${CMAKE_BINARY_DIR}/go")
endif()
