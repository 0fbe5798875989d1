export { SqliteStorage } from './sqlite-storage.js';
export { MIGRATIONS, migrate, type Migration, type MigrationResult } from './migrations.js';
