// RFC 4122 UUIDs: random (version 4) generation, the canonical text form
// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and the 16-byte big-endian form that
// Iceberg stores. Value type; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/random.h"

namespace datashard {

class Uuid {
 public:
  /// The nil UUID (all zero bytes).
  Uuid() = default;

  /// A random version-4 UUID from the kernel's random source.
  static Uuid Random();
  /// A version-4 UUID drawing its bits from `random` (deterministic in tests).
  static Uuid Random(const RandomSource& random);
  /// Parses the canonical 36-character form, either case. Throws
  /// InvalidArgument naming the text otherwise.
  static Uuid Parse(std::string_view text);
  /// From exactly 16 raw bytes; throws InvalidArgument for another length.
  static Uuid FromBytes(std::string_view bytes);

  /// Canonical lower-case text form.
  std::string ToString() const;
  /// The 16 raw bytes as a string (the Value form of Iceberg's uuid type).
  std::string ToBytes() const;
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  /// The first and last eight bytes as big-endian integers (Java's
  /// getMostSignificantBits / getLeastSignificantBits).
  uint64_t most_significant_bits() const;
  uint64_t least_significant_bits() const;

  bool operator==(const Uuid&) const = default;
  auto operator<=>(const Uuid&) const = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

/// A random positive 63-bit id as Iceberg's Java library makes snapshot ids:
/// (msb ^ lsb) & INT64_MAX of a random UUID, drawn again in the rare case it
/// is zero. Never returns zero or a negative number.
int64_t RandomPositiveId();
int64_t RandomPositiveId(const RandomSource& random);

}  // namespace datashard
