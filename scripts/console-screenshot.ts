/**
 * Writes the console screenshot README.md shows (examples/console/console.png): the tables page of the gateway the
 * browser tests seed, in Debian's chromium. Run it by hand after changing how the console looks:
 *
 *   npx tsx scripts/console-screenshot.ts [output.png]
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { launchBrowser, seededGateway } from '../test/browser/console-harness';

async function main(): Promise<void> {
  const output = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'examples', 'console', 'console.png'));
  const gw = await seededGateway();
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1200, height: 640 });
    await page.goto(`${gw.url}/console/#/tables`);
    await page.waitForSelector('#tables');
    mkdirSync(path.dirname(output), { recursive: true });
    await page.screenshot({ path: output, fullPage: true });
    console.log(`wrote ${output}`);
  } finally {
    await browser.close();
    await gw.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
