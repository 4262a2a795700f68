// The well-formedness table of UTF-8 (Unicode Table 3-7, the rules Python's
// codec applies), shared by the dataset readers and the tokenizer.
#ifndef BINQ_CORE_BASE_UTF8_LEAD_H_
#define BINQ_CORE_BASE_UTF8_LEAD_H_

namespace binq {

// What a lead byte allows: the sequence's length (0: not a lead byte) and
// the range of its second byte (overlong forms, surrogates and code points
// above U+10FFFF are excluded there); later bytes are 0x80…0xBF.
struct Utf8Lead {
  int length = 0;
  unsigned char second_lo = 0x80, second_hi = 0xBF;
};

inline Utf8Lead ClassifyUtf8Lead(unsigned char b0) {
  Utf8Lead lead;
  if (b0 < 0x80) {
    lead.length = 1;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    lead.length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    lead.length = 3;
    if (b0 == 0xE0) lead.second_lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) lead.second_hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    lead.length = 4;
    if (b0 == 0xF0) lead.second_lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) lead.second_hi = 0x8F;  // nothing above U+10FFFF
  }
  return lead;
}

}  // namespace binq

#endif  // BINQ_CORE_BASE_UTF8_LEAD_H_
