import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvLine } from '../csv-line.ts';
import { CsvError, CsvParser, parseCsv, readCsv } from './csv.ts';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe('CSV parser', () => {
  it('reads plain, quoted and escaped fields', () => {
    assert.deepEqual(fields('a,b,c\n1,"two, too","say ""hi"""\n'), [
      ['a', 'b', 'c'],
      ['1', 'two, too', 'say "hi"'],
    ]);
  });

  it('keeps newlines inside quotes and numbers records by their first line', () => {
    const records = parseCsv('id,text\r\n1,"line one\r\nline two"\r\n2,x\r\n');
    assert.deepEqual(
      records.map((r) => [r.line, r.fields]),
      [
        [1, ['id', 'text']],
        [2, ['1', 'line one\r\nline two']],
        [4, ['2', 'x']],
      ],
    );
  });

  it('accepts CRLF, LF and CR line ends, a BOM, blank lines and a missing final newline', () => {
    assert.deepEqual(fields('\ufeffa,b\r1,2\n\n3,4\r\n5,6'), [
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
  });

  it('keeps empty fields, including a trailing one', () => {
    assert.deepEqual(fields('a,,c,\n,,,\n'), [
      ['a', '', 'c', ''],
      ['', '', '', ''],
    ]);
  });

  it('detects semicolons and tabs from the header line', () => {
    assert.deepEqual(fields('Number;Preferences\n+919812345678;"1,3"\n'), [
      ['Number', 'Preferences'],
      ['+919812345678', '1,3'],
    ]);
    assert.deepEqual(fields('a\tb\n1\t2,3\n'), [
      ['a', 'b'],
      ['1', '2,3'],
    ]);
  });

  it('gives the same records whatever the chunking', () => {
    const text = '\ufeffid,"quoted ""x"", y"\r\n1,"a\r\nb"\r\n"",2\r\n3,""""\r\n';
    const whole = parseCsv(text);
    for (let size = 1; size <= 7; size++) {
      const parser = new CsvParser();
      const got = [];
      for (let i = 0; i < text.length; i += size) got.push(...parser.push(text.slice(i, i + size)));
      got.push(...parser.end());
      assert.deepEqual(got, whole, `chunks of ${size}`);
    }
  });

  it('keeps a quote inside an unquoted field as text', () => {
    assert.deepEqual(fields('a,5" screen\n'), [['a', '5" screen']]);
  });

  it('refuses text after a closing quote and a quote left open, naming the line', () => {
    assert.throws(
      () => parseCsv('a,b\n"x"y,2\n'),
      (e: unknown) => e instanceof CsvError && e.line === 2,
    );
    assert.throws(
      () => parseCsv('a,b\n1,2\n3,"open\n4,5\n'),
      (e: unknown) => e instanceof CsvError && e.line === 3 && /not closed/.test(e.message),
    );
  });

  it('refuses a record longer than the limit instead of buffering the file', () => {
    const parser = new CsvParser({ maxRecordLength: 100 });
    parser.push('a,b\n');
    assert.throws(() => parser.push(`1,"${'x'.repeat(200)}`), CsvError);
  });

  it('streams bytes, decoding UTF-8 split across chunks', async () => {
    const bytes = Buffer.from('name\nनमस्ते\n', 'utf8');
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    }
    const got = [];
    for await (const batch of readCsv(chunks())) got.push(...batch.map((r) => r.fields));
    assert.deepEqual(got, [['name'], ['नमस्ते']]);
  });

  it('writes what it reads', () => {
    const values = ['plain', 'with,comma', 'with "quote"', 'two\r\nlines', ''];
    assert.deepEqual(parseCsv(csvLine(values), { delimiter: ',' })[0]!.fields, values);
  });
});
