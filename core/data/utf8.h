// UTF-8 decoding shared by the dataset readers (internal to binq::core_data):
// strict, as Python's "utf-8" codec and nlohmann::json accept it.
#ifndef BINQ_CORE_DATA_UTF8_H_
#define BINQ_CORE_DATA_UTF8_H_

#include <cstddef>

#include "core/base/utf8_lead.h"

namespace binq::core::data_internal {

// Length (1–4) of the valid UTF-8 sequence at `p` (before `end`), storing its
// code point; 0 when the bytes there are not valid UTF-8: overlong forms,
// surrogates U+D800…U+DFFF, code points above U+10FFFF, stray continuation
// bytes and truncated sequences are not.
inline int DecodeUtf8(const unsigned char* p, const unsigned char* end, char32_t* code_point) {
  const unsigned char c = p[0];
  if (c < 0x80) {
    *code_point = c;
    return 1;
  }
  const Utf8Lead lead = ClassifyUtf8Lead(c);
  const int length = lead.length;
  if (length == 0) return 0;
  if (end - p < length) return 0;
  if (p[1] < lead.second_lo || p[1] > lead.second_hi) return 0;
  for (int i = 2; i < length; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
  }
  char32_t cp = c & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07);
  for (int i = 1; i < length; ++i) cp = (cp << 6) | (p[i] & 0x3F);
  *code_point = cp;
  return length;
}

}  // namespace binq::core::data_internal

#endif  // BINQ_CORE_DATA_UTF8_H_
