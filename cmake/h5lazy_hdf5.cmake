# h5lazy_hdf5.cmake — find HDF5 >= 1.14 and describe it.
#
# Tries HDF5's own CMake package first (HDF5_DIR or CMAKE_PREFIX_PATH; HDF5
# 1.14 installs it under <prefix>/cmake and 2.x under <prefix>/lib/cmake/hdf5,
# which CMake does not search by itself on Unix, hence the suffixes), then
# CMake's FindHDF5 module (h5cc wrappers, as distributions ship). With
# H5LAZY_HDF5_LINE set (1.14 or 2), an HDF5 of another line is an error.
# Defines:
#   h5lazy::hdf5          interface target: C library + include directories
#   H5LAZY_HDF5_VERSION   e.g. 1.14.5
#   H5LAZY_HDF5_LINE      the line of that version: 1.14 or 2
#   H5LAZY_HDF5_ROOT      install prefix (holds include/ and lib/)
#   H5LAZY_HDF5_INCLUDE_DIRS  its header directories
#   H5LAZY_HDF5_BIN       directory of h5dump, h5ls, ...
#   H5LAZY_HDF5_LIB       directory of libhdf5.so
#   H5LAZY_HDF5_CMAKE_DIR directory of hdf5-config.cmake (empty: found by FindHDF5)
# and stops with a clear message when no HDF5 >= 1.14 is found: the VOL
# interface h5lazy plugs into (version 3) first shipped, stable, in 1.14.
set(H5LAZY_HDF5_MIN_VERSION 1.14.0)

find_package(HDF5 NAMES hdf5 CONFIG QUIET PATH_SUFFIXES cmake share/cmake lib/cmake/hdf5)
# 1.14 exports the shared library as hdf5-shared, 2.x as hdf5::hdf5-shared.
set(_h5_target "")
foreach(_t hdf5-shared hdf5::hdf5-shared)
  if(HDF5_FOUND AND TARGET ${_t} AND NOT _h5_target)
    set(_h5_target ${_t})
  endif()
endforeach()
if(_h5_target)
  get_target_property(_h5_loc ${_h5_target} IMPORTED_LOCATION_RELEASE)
  if(NOT _h5_loc)
    get_target_property(_h5_loc ${_h5_target} IMPORTED_LOCATION)
  endif()
  get_filename_component(H5LAZY_HDF5_LIB "${_h5_loc}" DIRECTORY)
  get_filename_component(H5LAZY_HDF5_ROOT "${H5LAZY_HDF5_LIB}" DIRECTORY)
  set(H5LAZY_HDF5_BIN "${HDF5_TOOLS_DIR}")
  set(H5LAZY_HDF5_VERSION "${HDF5_VERSION}")
  set(H5LAZY_HDF5_CMAKE_DIR "${HDF5_DIR}")
  get_target_property(H5LAZY_HDF5_INCLUDE_DIRS ${_h5_target} INTERFACE_INCLUDE_DIRECTORIES)
  add_library(h5lazy_hdf5 INTERFACE)
  target_link_libraries(h5lazy_hdf5 INTERFACE ${_h5_target})
else()
  find_package(HDF5 MODULE COMPONENTS C)
  if(NOT HDF5_FOUND)
    message(FATAL_ERROR
      "h5lazy needs HDF5 >= ${H5LAZY_HDF5_MIN_VERSION} and CMake found none.\n"
      "Run scripts/deps.sh to build 1.14 from Debian's source package, or point "
      "HDF5_DIR at the directory holding hdf5-config.cmake of your own build.")
  endif()
  list(GET HDF5_C_LIBRARIES 0 _h5_loc)
  get_filename_component(H5LAZY_HDF5_LIB "${_h5_loc}" DIRECTORY)
  list(GET HDF5_INCLUDE_DIRS 0 _h5_inc)
  get_filename_component(H5LAZY_HDF5_ROOT "${_h5_inc}" DIRECTORY)
  set(H5LAZY_HDF5_BIN "${H5LAZY_HDF5_ROOT}/bin")
  set(H5LAZY_HDF5_VERSION "${HDF5_VERSION}")
  set(H5LAZY_HDF5_CMAKE_DIR "")
  set(H5LAZY_HDF5_INCLUDE_DIRS ${HDF5_INCLUDE_DIRS})
  add_library(h5lazy_hdf5 INTERFACE)
  target_include_directories(h5lazy_hdf5 INTERFACE ${HDF5_INCLUDE_DIRS})
  target_link_libraries(h5lazy_hdf5 INTERFACE ${HDF5_C_LIBRARIES})
  target_compile_definitions(h5lazy_hdf5 INTERFACE ${HDF5_DEFINITIONS})
endif()

if(NOT H5LAZY_HDF5_VERSION OR H5LAZY_HDF5_VERSION VERSION_LESS H5LAZY_HDF5_MIN_VERSION)
  message(FATAL_ERROR
    "h5lazy needs HDF5 >= ${H5LAZY_HDF5_MIN_VERSION}; CMake found version "
    "'${H5LAZY_HDF5_VERSION}' in ${H5LAZY_HDF5_ROOT}. HDF5 1.10/1.12 lack the VOL "
    "connector interface version 3. Run scripts/deps.sh (it builds 1.14 into "
    "build/deps/hdf5) or set HDF5_DIR to a 1.14 installation.")
endif()
# 1.x lines are named by major.minor, 2.x (semantic versioning) by major.
string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" _h5_mm "${H5LAZY_HDF5_VERSION}")
if(CMAKE_MATCH_1 EQUAL 1)
  set(H5LAZY_HDF5_LINE_FOUND "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}")
else()
  set(H5LAZY_HDF5_LINE_FOUND "${CMAKE_MATCH_1}")
endif()
if(H5LAZY_HDF5_LINE AND NOT H5LAZY_HDF5_LINE STREQUAL H5LAZY_HDF5_LINE_FOUND)
  message(FATAL_ERROR
    "HDF5 line ${H5LAZY_HDF5_LINE} was asked for; CMake found HDF5 ${H5LAZY_HDF5_VERSION} "
    "(line ${H5LAZY_HDF5_LINE_FOUND}) in ${H5LAZY_HDF5_ROOT}.")
endif()
set(H5LAZY_HDF5_LINE "${H5LAZY_HDF5_LINE_FOUND}")
add_library(h5lazy::hdf5 ALIAS h5lazy_hdf5)
message(STATUS "h5lazy: HDF5 ${H5LAZY_HDF5_VERSION} in ${H5LAZY_HDF5_ROOT}")
