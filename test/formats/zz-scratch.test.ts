import { test } from 'vitest';
import fs from 'node:fs';
import { ShardPartitioner } from '../../src/build/partition.js';
import { ctipFormat } from '../../src/feeds/formats/ctip.js';
import { FileFeedSource, forEachLine } from '../../src/feeds/input.js';
class NullSink extends ShardPartitioner { override addIp() { return undefined; } }
test('scratch', async () => {
  const path = `/tmp/scratch/ctip-big.ndjson`;
  const out = fs.createWriteStream(path);
  for (let i = 0; i < 200000; i++) {
    const rec = { DataFeed: 'Microsoft.DCU.CTIP.Infected', DateTimeReceivedUtc: '2023-11-14T21:33:19.1234567Z', Malware: 'Emotet', ThreatCode: 'B77-GV', ThreatConfidence: 'High', TLP: 'Amber', SourceIp: `31.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, SourcePort: 49296, DestinationIp: '27.18.28.18', DestinationPort: 8080, SourceIpAsnNumber: 64501, SourceIpCountryCode: 'AT', HttpHost: '', CustomField1: 'x', Payload: 'eyJ0cyI6MH0=' };
    out.write(JSON.stringify(rec) + '\n');
  }
  await new Promise((r) => out.end(r));
  let t = performance.now();
  let n = 0;
  await forEachLine(new FileFeedSource('x', path).openText(), (line) => { n += JSON.parse(line) ? 1 : 0; });
  console.log('lines+parse', Math.round(performance.now() - t));
  t = performance.now();
  await ctipFormat.parse({ feedId: 'x', source: new FileFeedSource('x', path), options: {}, sink: new NullSink(4) });
  console.log('null sink', Math.round(performance.now() - t));
  t = performance.now();
  await ctipFormat.parse({ feedId: 'x', source: new FileFeedSource('x', path), options: {}, sink: new ShardPartitioner(4) });
  console.log('real sink', Math.round(performance.now() - t));
});
