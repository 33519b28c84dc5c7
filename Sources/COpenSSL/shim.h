#ifndef RELANCE_COPENSSL_SHIM_H
#define RELANCE_COPENSSL_SHIM_H
// The SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP, but the EVP one-shot HMAC
// looks its algorithm up on every call; precomputed SHA-256 states are what the hot path wants.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#endif
