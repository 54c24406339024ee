# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bpf_skeleton(NAME SRC...): compile BPF sources with clang, link them with
# `bpftool gen object`, generate NAME.skel.h (struct NAME_bpf) and expose it
# through the INTERFACE target NAME_skel.  Dependencies of each source come
# from clang's depfile, so no header list is kept by hand.

find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

set(VMLINUX_H "${CMAKE_SOURCE_DIR}/bpf/vmlinux/x86/vmlinux.h" CACHE FILEPATH
    "vmlinux.h used to build the BPF programs")
get_filename_component(VMLINUX_DIR "${VMLINUX_H}" DIRECTORY)

function(bpf_skeleton name)
  set(outdir "${CMAKE_CURRENT_BINARY_DIR}/bpf")
  file(MAKE_DIRECTORY "${outdir}")
  set(objs)
  foreach(src ${ARGN})
    get_filename_component(base "${src}" NAME_WE)
    set(obj "${outdir}/${base}.tmp.o")
    add_custom_command(
      OUTPUT "${obj}"
      COMMAND "${BPF_CLANG}" -g -O2 -Wall -Werror -target bpf
              -D__TARGET_ARCH_x86 -mcpu=v3
              -I "${VMLINUX_DIR}" -I "${CMAKE_SOURCE_DIR}/include"
              -I "${CMAKE_SOURCE_DIR}/bpf"
              -MD -MF "${obj}.d"
              -c "${CMAKE_CURRENT_SOURCE_DIR}/${src}" -o "${obj}"
      DEPFILE "${obj}.d"
      DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${src}"
      COMMENT "BPF ${src}"
      VERBATIM)
    list(APPEND objs "${obj}")
  endforeach()
  set(linked "${outdir}/${name}.bpf.o")
  set(skel "${outdir}/${name}.skel.h")
  add_custom_command(
    OUTPUT "${linked}" "${skel}"
    COMMAND "${BPFTOOL}" gen object "${linked}" ${objs}
    COMMAND "${BPFTOOL}" gen skeleton "${linked}" name "${name}_bpf" > "${skel}"
    DEPENDS ${objs}
    COMMENT "BPF skeleton ${name}"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS "${skel}")
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE "${outdir}")
endfunction()
