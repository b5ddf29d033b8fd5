// SPDX-License-Identifier: GPL-2.0
/* The symbol resolver zcpool uses too, compiled with zctcp's pr_fmt. */
#include "zctcp.h"

#include "../ksym.c"
