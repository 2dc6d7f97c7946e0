#!/bin/sh
# Stands in for the Prisma schema engine, a native binary the prisma CLI would download
# before `generate`, which does not use it. Anything that does need it stops here.
echo "prisma: the schema engine is not installed in the benchmark (offline); only prisma generate and prisma format run here" >&2
exit 1
