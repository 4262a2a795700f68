# Locates LibTorch. Two ways, documented in README.md:
#  * the `torch` wheel from PyPI in a Python environment (BINQ_PYTHON, default
#    .venv/bin/python): its torch.utils.cmake_prefix_path is added to CMAKE_PREFIX_PATH;
#  * a standalone LibTorch archive: pass -DTorch_DIR=<libtorch>/share/cmake/Torch.
# Sets BINQ_TORCH_CUDA_MAJOR (empty for a CPU-only LibTorch) and BINQ_TORCH_VERSION.
if(EXISTS "${CMAKE_SOURCE_DIR}/.venv/bin/python")
  set(_binq_default_python "${CMAKE_SOURCE_DIR}/.venv/bin/python")
else()
  set(_binq_default_python "python3")
endif()
set(BINQ_PYTHON "${_binq_default_python}" CACHE FILEPATH "Python whose torch wheel provides LibTorch")

set(BINQ_TORCH_CUDA "")
if(NOT Torch_DIR)
  execute_process(
    COMMAND "${BINQ_PYTHON}" -c "import torch, torch.utils; print(torch.utils.cmake_prefix_path); print(torch.version.cuda or '')"
    OUTPUT_VARIABLE _binq_torch_out RESULT_VARIABLE _binq_torch_rc ERROR_VARIABLE _binq_torch_err
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _binq_torch_rc EQUAL 0)
    message(FATAL_ERROR
      "binq: LibTorch not found. Either run tools/dev/install_deps.sh (installs the pinned "
      "torch wheel into .venv), set -DBINQ_PYTHON=<python with torch>, or point "
      "-DTorch_DIR=<libtorch>/share/cmake/Torch at a standalone LibTorch.\n${_binq_torch_err}")
  endif()
  string(REPLACE "\n" ";" _binq_torch_lines "${_binq_torch_out}")
  list(GET _binq_torch_lines 0 _binq_torch_prefix)
  list(LENGTH _binq_torch_lines _n)
  if(_n GREATER 1)
    list(GET _binq_torch_lines 1 BINQ_TORCH_CUDA)
  endif()
  list(APPEND CMAKE_PREFIX_PATH "${_binq_torch_prefix}")
endif()

# Torch's own CMake looks for the CUDA toolkit when LibTorch was built with CUDA;
# help it find nvcc where Debian users usually have it.
if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc CACHE FILEPATH "")
endif()
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST "9.0")  # keeps Torch's config from probing a GPU that is not here
endif()
find_package(Torch REQUIRED)

# LibTorch's CUDA version, from the files either distribution carries: the
# wheel's torch/version.py (cuda = '13.0') or the archive's build-version
# (2.11.0+cu130). Python's answer above wins when it ran.
if(NOT BINQ_TORCH_CUDA AND EXISTS "${TORCH_INSTALL_PREFIX}/version.py")
  file(STRINGS "${TORCH_INSTALL_PREFIX}/version.py" _binq_cuda_line REGEX "^cuda")
  if(_binq_cuda_line MATCHES "'([0-9]+\\.[0-9]+)'")
    set(BINQ_TORCH_CUDA "${CMAKE_MATCH_1}")
  endif()
endif()
if(NOT BINQ_TORCH_CUDA AND EXISTS "${TORCH_INSTALL_PREFIX}/build-version")
  file(READ "${TORCH_INSTALL_PREFIX}/build-version" _binq_build_version)
  if(_binq_build_version MATCHES "\\+cu([0-9]+)([0-9])")
    set(BINQ_TORCH_CUDA "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}")
  endif()
endif()
set(BINQ_TORCH_CUDA_MAJOR "")
if(BINQ_TORCH_CUDA MATCHES "^([0-9]+)")
  set(BINQ_TORCH_CUDA_MAJOR "${CMAKE_MATCH_1}")
endif()
message(STATUS "binq: LibTorch ${Torch_VERSION} (CUDA '${BINQ_TORCH_CUDA}') from ${TORCH_INSTALL_PREFIX}")

# Core code includes only what it needs (ATen, torch/types.h); one interface target
# carries LibTorch's flags.
add_library(binq_torch INTERFACE)
target_link_libraries(binq_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(binq_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
