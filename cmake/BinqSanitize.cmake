# BINQ_SANITIZE=address|thread|undefined adds the sanitizer to every binq target
# through an interface target (never through global CMAKE_CXX_FLAGS).
add_library(binq_build_flags INTERFACE)
add_library(binq::build_flags ALIAS binq_build_flags)
target_compile_options(binq_build_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers>
  # Parity with the references: no fused multiply-add in our own float code.
  $<$<COMPILE_LANGUAGE:CXX>:-ffp-contract=off>)
if(BINQ_SANITIZE)
  if(NOT BINQ_SANITIZE MATCHES "^(address|thread|undefined)$")
    message(FATAL_ERROR "BINQ_SANITIZE must be address, thread or undefined, not '${BINQ_SANITIZE}'")
  endif()
  target_compile_options(binq_build_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${BINQ_SANITIZE} -fno-omit-frame-pointer>)
  target_link_options(binq_build_flags INTERFACE -fsanitize=${BINQ_SANITIZE})
endif()
