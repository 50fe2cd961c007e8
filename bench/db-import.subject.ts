// Imports the given feeds into a new database at DB and reports the time and the file size.
import { rm, stat } from 'node:fs/promises';
import { importFeeds, openVulnDb } from '../src/vulndb/index.js';

const [dbPath, ...paths] = process.argv.slice(2);
if (dbPath === undefined || paths.length === 0) throw new Error('usage: db-import.subject.js <db> <path>...');
await rm(dbPath, { force: true });
const start = process.hrtime.bigint();
const db = openVulnDb(dbPath);
const reports = await importFeeds(db, paths);
const records = db.status().records;
db.close();
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const sizeMB = (await stat(dbPath)).size / 1024 / 1024;
process.stdout.write(
  `${JSON.stringify({ ms, sizeMB, records, imported: reports.reduce((n, r) => n + r.imported, 0), maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`,
);
