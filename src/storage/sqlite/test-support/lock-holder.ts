// Takes the lock on argv[2], says so on stdout, and holds it until killed.
import { lockFile } from '../lock.js';

lockFile(process.argv[2]!, 'held by another test process');
process.stdout.write('locked\n');
setInterval(() => undefined, 1 << 30);
