/* rand.h - random secrets: tokens, client secrets, ids. Keys from the kernel (getrandom through
 * libsodium), expanded per thread with ChaCha20 so that a request costs no system call. */
#ifndef RS_RAND_H
#define RS_RAND_H
#include <stddef.h>

/* 256 random bits, base64url: 43 characters + NUL. */
#define RS_TOKEN_STRLEN 44
void rs_rand_token(char out[RS_TOKEN_STRLEN]);
/* n random bytes as lowercase hex into out (2n+1 bytes). */
void rs_rand_hex(char *out, size_t nbytes);
void rs_rand_bytes(void *out, size_t n);

#endif
