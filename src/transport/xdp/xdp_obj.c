/*
 * xdp_obj.c - the compiled steering program (bp_steer.bpf.o) embedded in the library, so
 * nothing has to be found on disk at run time. BPI_XDP_OBJ is its path, set by CMake.
 */
#include "transport/xdp/xdp.h"

__asm__(".section .rodata\n"
        ".balign 8\n"
        ".globl bpi_xdp_obj\n"
        ".hidden bpi_xdp_obj\n"
        "bpi_xdp_obj:\n"
        ".incbin \"" BPI_XDP_OBJ "\"\n"
        ".globl bpi_xdp_obj_end\n"
        ".hidden bpi_xdp_obj_end\n"
        "bpi_xdp_obj_end:\n"
        ".previous\n");
