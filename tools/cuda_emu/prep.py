# SPDX-License-Identifier: MIT
# .cu -> .cpp for the host emulation (tools/cuda_emu/run.sh):
#   kernel<T><<<grid, block, smem, stream>>>(args)  ->  ::emu::launch(kernel<T>, ::emu::Config{grid, block, smem, stream}, args)
import re
import sys

src = open(sys.argv[1]).read()
pat = re.compile(r'([A-Za-z_]\w*(?:<[^<>;]*>)?)<<<(.+?)>>>\(', re.S)
out = pat.sub(lambda m: '::emu::launch(' + m.group(1) + ', ::emu::Config{' + m.group(2) + '}, ', src)
# Dynamic shared memory: the launch's buffer (emu_shim.h dyn_smem).
out = re.sub(r'extern __shared__ (?:__align__\(\d+\) )?([A-Za-z_][\w ]*?) (\w+)\[\];',
             r'\1* \2 = reinterpret_cast<\1*>(::emu::dyn_smem());', out)
# CUB is emulated in emu_shim.h (a stable sort of the pairs on the host).
out = re.sub(r'#include <cub/[^>]*>', '', out)
if '<<<' in out:
    sys.exit(sys.argv[1] + ': a kernel launch was not converted')
open(sys.argv[2], 'w').write(out)
