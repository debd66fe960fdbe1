# Installs headers, the library and a CMake package so that consumers can write
#   find_package(tapegrad REQUIRED)
#   target_link_libraries(app PRIVATE tapegrad::tapegrad)
# and, with TAPEGRAD_DISTRIBUTED, find_package(tapegrad REQUIRED COMPONENTS distributed) and
# tapegrad::distributed (an export set of its own, so that the core package needs no MPI).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS tapegrad EXPORT tapegradTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The public headers: tapegrad.hpp, the headers at the top of each layer's folder, and every
# header of nn/ (whose subfolders are its parts: modules/, losses/, optim/, data/, io/).
# The op-family and kernel folders (ops/kernels/, ops/conv/, ...) are internal and are not
# installed; no public header includes one (tests/consumer compiles every installed header).
file(GLOB TAPEGRAD_PUBLIC_HEADERS RELATIVE ${PROJECT_SOURCE_DIR} CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/tapegrad.hpp ${PROJECT_SOURCE_DIR}/tensor/*.hpp ${PROJECT_SOURCE_DIR}/autograd/*.hpp
  ${PROJECT_SOURCE_DIR}/ops/*.hpp ${PROJECT_SOURCE_DIR}/nn/*.hpp ${PROJECT_SOURCE_DIR}/nn/*/*.hpp)
foreach(header ${TAPEGRAD_PUBLIC_HEADERS})
  get_filename_component(dir ${header} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/${header} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapegrad/${dir})
endforeach()
if(TAPEGRAD_DISTRIBUTED)
  install(TARGETS tapegrad_distributed EXPORT tapegradDistributedTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT tapegradDistributedTargets NAMESPACE tapegrad:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad)
endif()
if(TAPEGRAD_BUILD_TOOLS)
  install(TARGETS tapegrad_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(EXPORT tapegradTargets NAMESPACE tapegrad:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tapegradConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tapegradConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tapegradConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tapegradConfig.cmake ${PROJECT_BINARY_DIR}/tapegradConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad)
