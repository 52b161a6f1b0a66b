import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addColumn,
  cellText,
  columnChoices,
  columnLabel,
  DEFAULT_COLUMNS,
  gridTemplate,
  isColumnId,
  moveColumn,
  removeColumn,
} from './columns.ts';
import { record } from './test-records.ts';

test('attribute and resource keys, dotted or not, are columns; unknown names are not', () => {
  assert.ok(isColumnId('attributes.http.status_code'));
  assert.ok(isColumnId('resource.k8s.pod.name'));
  assert.ok(isColumnId('trace_id'));
  assert.equal(isColumnId('attributes.'), false);
  assert.equal(isColumnId('body'), false);
});

test('a cell shows the field, the map value, or nothing when the record lacks the key', () => {
  const r = record('r', { body: 'hello', attributes: { 'http.status_code': '502' }, resource: { region: 'eu' } });
  assert.equal(cellText(r, 'message'), 'hello');
  assert.equal(cellText(r, 'attributes.http.status_code'), '502');
  assert.equal(cellText(r, 'resource.region'), 'eu');
  assert.equal(cellText(r, 'attributes.missing'), '');
});

test('columns are added once, moved within bounds, and the last one cannot be removed', () => {
  let cols = addColumn(DEFAULT_COLUMNS, 'attributes.http.status_code');
  assert.deepEqual(addColumn(cols, 'attributes.http.status_code'), cols);
  cols = moveColumn(cols, 'attributes.http.status_code', -2);
  assert.deepEqual(cols, ['time', 'level', 'attributes.http.status_code', 'service', 'message']);
  assert.deepEqual(moveColumn(cols, 'time', -1), cols);
  assert.deepEqual(moveColumn(cols, 'time', 99).at(-1), 'time');
  assert.deepEqual(removeColumn(['message'], 'message'), ['message']);
  assert.deepEqual(removeColumn(cols, 'level'), ['time', 'attributes.http.status_code', 'service', 'message']);
});

test('the chooser offers the keys the records carry that are not shown yet', () => {
  const records = [record('r', { attributes: { b: '1', a: '2' } }), record('r', { resource: { 'k8s.pod.name': 'p' } })];
  const choices = columnChoices(records, DEFAULT_COLUMNS);
  assert.deepEqual(choices, ['trace_id', 'span_id', 'attributes.a', 'attributes.b', 'resource.k8s.pod.name']);
});

test('headers name map keys without the map, unless both maps are shown', () => {
  assert.equal(columnLabel('attributes.http.status_code'), 'http.status_code');
  assert.equal(columnLabel('resource.region', ['attributes.region', 'resource.region']), 'resource.region');
  assert.equal(columnLabel('service'), 'Service');
});

test('the message column takes the remaining width, or the last column when there is none', () => {
  assert.equal(gridTemplate(DEFAULT_COLUMNS), '200px 64px 130px minmax(240px, 1fr)');
  assert.equal(gridTemplate(['time', 'attributes.a']), '200px minmax(80px, 1fr)');
});
