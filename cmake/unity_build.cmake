# TAPEGRAD_UNITY_BUILD: the library's sources are compiled in batches, each batch one
# translation unit, so the shared headers are parsed and their inline and template code is
# generated once per batch instead of once per file. Builds made to check the code stay
# per-file, so that a file missing an #include of its own is still caught there.
# Included before the library target is defined; tapegrad_batch_sources() runs after.

# Files that open a wider-ISA region (TG_ISA_TARGET_BEGIN) stay on their own: an inline or
# template function first instantiated inside the region of a merged file would carry AVX2 /
# AVX-512 instructions into a COMDAT that the linker may then hand to portable callers.
# Files with compile options of their own stay on their own too, built with exactly those.
file(GLOB_RECURSE TAPEGRAD_SEPARATE_SOURCES CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/ops/*_avx2.cpp ${PROJECT_SOURCE_DIR}/ops/*_avx512.cpp)
list(APPEND TAPEGRAD_SEPARATE_SOURCES ${TAPEGRAD_NO_CONTRACT_SOURCES})
list(REMOVE_DUPLICATES TAPEGRAD_SEPARATE_SOURCES)
# The slowest files of the library join them, first: a batch saves them little (their own code
# is most of their cost), and Ninja starts ready jobs in the order of the build file, where
# CMake lists a target's batches before its other files. A target of their own, defined before
# the library, makes them start first, so that no core is left alone with the slowest file
# (conv_direct_avx512.cpp) at the end of the build.
list(REMOVE_ITEM TAPEGRAD_SEPARATE_SOURCES ${TAPEGRAD_SLOW_SOURCES})
list(PREPEND TAPEGRAD_SEPARATE_SOURCES ${TAPEGRAD_SLOW_SOURCES})
list(REMOVE_ITEM TAPEGRAD_SOURCES ${TAPEGRAD_SEPARATE_SOURCES})
add_library(tapegrad_separate_objects OBJECT ${TAPEGRAD_SEPARATE_SOURCES})
list(APPEND TAPEGRAD_SOURCES $<TARGET_OBJECTS:tapegrad_separate_objects>)

# Compiled as the library's own files: the library's compile options, read when the build is
# generated, and the usage requirements the kernels need.
function(tapegrad_batch_sources library)
  target_link_libraries(tapegrad_separate_objects PRIVATE fmt::fmt TBB::tbb tapegrad_build_flags)
  target_include_directories(tapegrad_separate_objects PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(tapegrad_separate_objects PRIVATE $<TARGET_PROPERTY:${library},COMPILE_OPTIONS>)
  set_target_properties(tapegrad_separate_objects PROPERTIES POSITION_INDEPENDENT_CODE ON)
  # GCC warns when a type with external linkage holds one from an anonymous namespace, except
  # in the main file: in a batch every file is an included one, so each lambda capturing such a
  # value would be reported although nothing can clash within one translation unit. The
  # per-file builds keep the warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${library} PRIVATE -Wno-subobject-linkage)
  endif()
  set_target_properties(${library} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${TAPEGRAD_UNITY_BATCH_SIZE})
endfunction()
