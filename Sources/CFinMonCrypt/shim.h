// libxcrypt (Debian's libcrypt-dev): crypt_rn verifies the exporter's bcrypt hashes.
#include <crypt.h>
