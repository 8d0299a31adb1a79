#ifndef SENSOR_GATEWAY_CRC32C_HARDWARE_H
#define SENSOR_GATEWAY_CRC32C_HARDWARE_H

#include <stddef.h>
#include <stdint.h>

/// Non-zero when this CPU has CRC-32C instructions (x86-64 SSE 4.2, ARMv8 CRC32).
int sg_crc32c_hardware_available(void);

/// Continues a running (pre-inverted) CRC-32C over `count` bytes with those instructions; only
/// call it when `sg_crc32c_hardware_available()` said so.
uint32_t sg_crc32c_hardware_update(uint32_t crc, const void *bytes, size_t count);

#endif
