# TAPEGRAD_DISTRIBUTED: the library tapegrad::distributed (nn/distributed/), data-parallel
# training over MPI. A library of its own, so that the core (tapegrad::tapegrad) and its users
# need no MPI; its public headers do not include <mpi.h> either.
# Debian: libopenmpi-dev openmpi-bin (tools/install_deps.sh installs them for tools/test.sh).

# The C API is all we call: skip MPI's deprecated C++ bindings (and their library).
set(MPI_CXX_SKIP_MPICXX ON CACHE BOOL "Do not use MPI's deprecated C++ bindings")
find_package(MPI REQUIRED COMPONENTS CXX)

file(GLOB TAPEGRAD_DISTRIBUTED_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/nn/distributed/*.cpp)
add_library(tapegrad_distributed ${TAPEGRAD_DISTRIBUTED_SOURCES})
add_library(tapegrad::distributed ALIAS tapegrad_distributed)
set_target_properties(tapegrad_distributed PROPERTIES EXPORT_NAME distributed VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR} POSITION_INDEPENDENT_CODE ON)
# MPI is private: no public header needs it. A static library still carries it to the final
# link (exported as $<LINK_ONLY:MPI::MPI_CXX>; tapegradConfig.cmake finds MPI for that).
target_link_libraries(tapegrad_distributed PUBLIC tapegrad PRIVATE MPI::MPI_CXX $<BUILD_INTERFACE:tapegrad_build_flags>)
# Lets a program that links the library compile its distributed code conditionally
# (#if TAPEGRAD_HAS_DISTRIBUTED).
target_compile_definitions(tapegrad_distributed INTERFACE TAPEGRAD_HAS_DISTRIBUTED=1)
