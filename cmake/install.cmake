# install.cmake - what `cmake --install` puts where, and how users find it afterwards.
#
#   <prefix>/<libdir>/libbypass.so.<major> (+ .so.<version>, .so)   the shared library
#   <prefix>/<libdir>/libbypass.a                                     the static library
#   <prefix>/<includedir>/bypass.h                                    the only public header
#   <prefix>/<libdir>/libbpmpi.so.<major> (+ ...), libbpmpi.a         the MPI layer
#   <prefix>/<includedir>/bypass/mpi.h     its header, in a folder of its own so that it
#                                          never shadows a system mpi.h (bpcc adds -I)
#   <prefix>/<bindir>/bpcc, mpicc, mpiexec, mpirun   the MPI wrappers (bypass's own bin
#                                          directory only; mpicc is bpcc under MPI's name;
#                                          bpcxx and mpicxx the same for C++)
#   <prefix>/<libdir>/cmake/bypass/        find_package(bypass): bypass::bypass (shared),
#                                          bypass::bypass_static
#   <prefix>/<libdir>/pkgconfig/bypass.pc  pkg-config bypass [--static]
#
# Everything is relocatable: the CMake package computes its prefix from where it lies, and
# the .pc file names every path relative to ${prefix}, which is the prefix given at install
# time (`cmake --install build --prefix DIR` writes DIR, not the configure-time default).
include(CMakePackageConfigHelpers)

set(BP_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bypass)
set(BP_PKGCONFIG_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Libraries, header and the export set.
install(TARGETS bypass bypass_static bpmpi bpmpi_static
    EXPORT bypassTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# (The include directory comes with the targets: their INSTALL_INTERFACE include path.)
install(FILES ${PROJECT_SOURCE_DIR}/include/bypass.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/src/mpi/mpi.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bypass)
# The MPI wrappers: the installed bpcc finds its prefix from where it lies (src/mpi makes it).
foreach(name bpcc mpicc bpcxx mpicxx)
    install(PROGRAMS ${PROJECT_BINARY_DIR}/src/mpi/install/${name}
        DESTINATION ${CMAKE_INSTALL_BINDIR})
endforeach()
foreach(name mpiexec mpirun)
    install(PROGRAMS ${PROJECT_SOURCE_DIR}/src/mpi/mpiexec.sh
        DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME ${name})
endforeach()
install(EXPORT bypassTargets
    NAMESPACE bypass::
    FILE bypassTargets.cmake
    DESTINATION ${BP_CMAKE_INSTALL_DIR})

# The installed tools find the installed shared library next to them, wherever the tree
# is moved: RPATH $ORIGIN/<bindir-to-libdir>.
file(RELATIVE_PATH bp_bin_to_lib
    ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
foreach(tool bprun bp-info bp-bench bp-bench-bpmpi)
    if(TARGET ${tool})
        set_target_properties(${tool} PROPERTIES INSTALL_RPATH "\$ORIGIN/${bp_bin_to_lib}")
    endif()
endforeach()

# libbpmpi finds libbypass beside it: a program built by bpcc names only libbpmpi when the
# linker drops libbypass as not needed (--as-needed), and its RUNPATH does not reach
# libbpmpi's own dependencies.
set_target_properties(bpmpi PROPERTIES INSTALL_RPATH "\$ORIGIN")

# CMake package: bypassConfig.cmake (finds Threads, which the static library needs at
# link time) and bypassConfigVersion.cmake (any 0.x accepts a request for 0.y <= 0.x).
configure_package_config_file(
    ${PROJECT_SOURCE_DIR}/cmake/bypassConfig.cmake.in
    ${PROJECT_BINARY_DIR}/bypassConfig.cmake
    INSTALL_DESTINATION ${BP_CMAKE_INSTALL_DIR})
write_basic_package_version_file(
    ${PROJECT_BINARY_DIR}/bypassConfigVersion.cmake
    VERSION ${PROJECT_VERSION}
    COMPATIBILITY SameMajorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/bypassConfig.cmake
    ${PROJECT_BINARY_DIR}/bypassConfigVersion.cmake
    DESTINATION ${BP_CMAKE_INSTALL_DIR})

# pkg-config file. Paths below ${prefix} are filled in now; ${prefix} itself is filled in
# at install time, so that `--prefix` and CMAKE_INSTALL_PREFIX given late are honoured.
function(bp_pc_path out dir)
    if(IS_ABSOLUTE "${dir}")
        set(${out} "${dir}" PARENT_SCOPE)
    else()
        set(${out} "\${prefix}/${dir}" PARENT_SCOPE)
    endif()
endfunction()
bp_pc_path(BP_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
bp_pc_path(BP_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
set(BP_PC_PREFIX "@BP_PC_PREFIX@") # kept as a placeholder for the install-time pass
if(BP_HAVE_XDP)
    set(BP_PC_REQUIRES_PRIVATE "libxdp libbpf") # the static library's xdp transport
else()
    set(BP_PC_REQUIRES_PRIVATE "")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/bypass.pc.in
    ${PROJECT_BINARY_DIR}/bypass.pc.stage @ONLY)
install(CODE "
    set(BP_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    configure_file(\"${PROJECT_BINARY_DIR}/bypass.pc.stage\"
                   \"${PROJECT_BINARY_DIR}/bypass.pc\" @ONLY)
")
install(FILES ${PROJECT_BINARY_DIR}/bypass.pc DESTINATION ${BP_PKGCONFIG_INSTALL_DIR})
