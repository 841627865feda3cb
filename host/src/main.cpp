// host: the strategy host binary. See README.md.
#include <cstdio>
int main() { std::puts("host " SH_HOST_VERSION); return 0; }
