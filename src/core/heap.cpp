#include "starttls_exporter/core/heap.hpp"

#include <malloc.h>

namespace starttls_exporter {

ReturnFreedMemory::~ReturnFreedMemory() {
  malloc_trim(0);
}

}  // namespace starttls_exporter
