// Whether this build runs under AddressSanitizer: its shadow memory needs
// far more address space than any RLIMIT_AS a test could set, so tests
// that bound allocations by an address-space limit skip themselves there.
#pragma once

namespace datashard {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

}  // namespace datashard
