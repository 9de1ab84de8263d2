# Installation: `cmake --install build --prefix P` puts
#   P/include/dien/dien.h              the C API (all a C consumer needs)
#   P/include/dien/{core,...,serve}/   the C++ API's headers (for dien::dien_static)
#   P/lib/libdien.so.X.Y.Z (+ SONAME libdien.so.X), P/lib/libdien.a
#   P/lib/cmake/dien/dienConfig.cmake  find_package(dien CONFIG): dien::dien (shared, C API) and
#                                      dien::dien_static (static, C++ API)
#   P/lib/pkgconfig/dien.pc            pkg-config --cflags --libs dien (the shared library)
#   P/bin/dien                         the command-line tool (when built)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/capi/dien.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dien)
foreach(dir core autograd optim data layers models serve)
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dien/${dir}
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/kernels/backend.h ${CMAKE_CURRENT_SOURCE_DIR}/kernels/dispatch.h
              ${CMAKE_CURRENT_SOURCE_DIR}/kernels/kernel_util.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dien/kernels)

install(TARGETS dien_shared dien EXPORT dienTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT dienTargets NAMESPACE dien:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dien)

set(DIEN_CONFIG_HAS_CUDA ${DIEN_HAS_CUDA})
set(DIEN_CONFIG_HAS_OPENMP ${OpenMP_CXX_FOUND})
configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/dienConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/dienConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dien)
# 0.x: a new minor version may break the C++ API, so only the same minor is compatible.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/dienConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/dienConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/dienConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dien)

set(DIEN_PC_PRIVATE "-lstdc++ -lm -lpthread -lz")
if(OpenMP_CXX_FOUND)
  string(APPEND DIEN_PC_PRIVATE " -lgomp")
endif()
if(DIEN_HAS_CUDA)
  string(APPEND DIEN_PC_PRIVATE " -L${CUDAToolkit_LIBRARY_DIR} -lcublas -lcudart")
endif()
# Relocatable: the prefix is found from the .pc file's own place, so `cmake --install --prefix P`
# gives a dien.pc that is right for P.
file(RELATIVE_PATH DIEN_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/dien.pc.in ${CMAKE_CURRENT_BINARY_DIR}/dien.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/dien.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
