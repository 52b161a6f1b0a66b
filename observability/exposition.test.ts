import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExposition, sampleLabels } from './exposition.ts';

const text = `# HELP req_total Requests, by "status".\\nSecond line \\\\ done.
# TYPE req_total counter
req_total{route="/a",status="200"} 3
req_total{ route = "/b\\"c\\\\d\\n" , status="500", } 1 1700000000000
# TYPE lat_seconds histogram
lat_seconds_bucket{le="0.1"} 1
lat_seconds_bucket{le="+Inf"} 2
lat_seconds_sum 0.3
lat_seconds_count 2
# a free comment
# TYPE empty_total counter
up NaN
temp -Inf
`;

test('families keep their type, help and samples, histogram suffixes included', () => {
  const families = parseExposition(text);
  const req = families.get('req_total')!;
  assert.equal(req.type, 'counter');
  assert.equal(req.help, 'Requests, by "status".\nSecond line \\ done.');
  assert.deepEqual(req.samples[1], { name: 'req_total', labels: { route: '/b"c\\d\n', status: '500' }, value: 1 });
  assert.deepEqual(
    families.get('lat_seconds')!.samples.map((s) => s.name),
    ['lat_seconds_bucket', 'lat_seconds_bucket', 'lat_seconds_sum', 'lat_seconds_count'],
  );
  assert.equal(families.get('lat_seconds')!.samples[1]!.labels.le, '+Inf');
  assert.equal(families.get('temp')!.samples[0]!.value, -Infinity);
  assert.equal(families.get('empty_total')!.samples.length, 0);
  assert.equal(families.get('up')!.type, 'untyped');
  assert.ok(Number.isNaN(families.get('up')!.samples[0]!.value));
});

test('sampleLabels lists only names with samples, each with its label names', () => {
  const names = sampleLabels(parseExposition(text).values());
  assert.deepEqual([...names.keys()].sort(), [
    'lat_seconds_bucket',
    'lat_seconds_count',
    'lat_seconds_sum',
    'req_total',
    'temp',
    'up',
  ]);
  assert.deepEqual([...names.get('req_total')!].sort(), ['route', 'status']);
  assert.deepEqual([...names.get('lat_seconds_bucket')!], ['le']);
});

const malformed: [string, RegExp][] = [
  ['a{b="c} 1', /unterminated value of label b/],
  ['a{b=c} 1', /expected a quoted value/],
  ['a{b="\\x"} 1', /invalid escape/],
  ['a{b="1",b="2"} 1', /duplicate label b/],
  ['a one', /invalid value "one"/],
  ['a 1 2 3', /expected a value and an optional timestamp/],
  ['a 1 later', /invalid timestamp/],
  ['9a 1', /invalid metric name/],
  ['# TYPE a sometimes', /unknown type "sometimes"/],
  ['# TYPE h histogram\nh_bucket 1', /histogram bucket without "le"/],
  ['a 1\n# TYPE a gauge', /TYPE after the samples of its family/],
];
for (const [input, error] of malformed) {
  test(`a malformed exposition is refused with the line at fault: ${JSON.stringify(input)}`, () => {
    assert.throws(
      () => parseExposition(input),
      (err: Error) => error.test(err.message) && /cannot parse line \d+/.test(err.message),
    );
  });
}
