// CRC-32C (Castagnoli), the checksum of ingest-log records (DESIGN.md §6a):
// the SSE4.2 instruction where the CPU has it, a table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace datashard {

/// CRC-32C of n bytes, continuing from `crc` (0 to start).
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace datashard
