# h5lazy_hdf5_other.cmake — the HDF5 of the other line, for a second
# connector build beside the first (one plugin directory serves 1.14 and
# 2.x). Only its headers and its libhdf5 are used, so an install prefix is
# enough: H5LAZY_OTHER_HDF5_ROOT (holding include/ and lib/). Defines
#   h5lazy::hdf5_other         interface target: headers + libhdf5
#   H5LAZY_OTHER_HDF5_VERSION  e.g. 2.2.0
#   H5LAZY_OTHER_HDF5_LINE     1.14 or 2, never the line of h5lazy::hdf5
set(_root "${H5LAZY_OTHER_HDF5_ROOT}")
set(_header "${_root}/include/H5public.h")
find_library(_other_lib NAMES hdf5 PATHS "${_root}/lib" NO_DEFAULT_PATH)
if(NOT EXISTS "${_header}" OR NOT _other_lib)
  message(FATAL_ERROR "H5LAZY_OTHER_HDF5_ROOT=${_root} holds no HDF5 (include/H5public.h, lib/libhdf5.so)")
endif()
file(STRINGS "${_header}" _vers REGEX "^#define H5_VERS_(MAJOR|MINOR|RELEASE) ")
string(REGEX REPLACE ".*H5_VERS_MAJOR ([0-9]+).*" "\\1" _major "${_vers}")
string(REGEX REPLACE ".*H5_VERS_MINOR ([0-9]+).*" "\\1" _minor "${_vers}")
string(REGEX REPLACE ".*H5_VERS_RELEASE ([0-9]+).*" "\\1" _release "${_vers}")
set(H5LAZY_OTHER_HDF5_VERSION "${_major}.${_minor}.${_release}")
if(_major EQUAL 1)
  set(H5LAZY_OTHER_HDF5_LINE "${_major}.${_minor}")
else()
  set(H5LAZY_OTHER_HDF5_LINE "${_major}")
endif()
if(H5LAZY_OTHER_HDF5_LINE STREQUAL H5LAZY_HDF5_LINE)
  message(FATAL_ERROR "H5LAZY_OTHER_HDF5_ROOT=${_root} is HDF5 ${H5LAZY_OTHER_HDF5_VERSION}, "
                      "the line already built (${H5LAZY_HDF5_VERSION})")
endif()
add_library(h5lazy_hdf5_other INTERFACE)
target_include_directories(h5lazy_hdf5_other INTERFACE "${_root}/include")
target_link_libraries(h5lazy_hdf5_other INTERFACE "${_other_lib}")
add_library(h5lazy::hdf5_other ALIAS h5lazy_hdf5_other)
message(STATUS "h5lazy: a connector build for HDF5 ${H5LAZY_OTHER_HDF5_VERSION} in ${_root} too")
