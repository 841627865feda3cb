#include <strategy_host/testing.hpp>
SH_TEST("placeholder") {}
