/* b64url.h - base64url without padding (RFC 4648 §5), as used for tokens and JWK members. */
#ifndef RS_B64URL_H
#define RS_B64URL_H
#include <stddef.h>

/* Encoded length (without NUL) for n input bytes. */
#define RS_B64URL_LEN(n) (((n) * 4 + 2) / 3)
/* Writes RS_B64URL_LEN(len)+1 bytes (NUL-terminated) to out. Cannot fail. */
void rs_b64url_encode(const unsigned char *in, size_t len, char *out);

#endif
