import { AWS, LOCALSTACK, synthPipeline } from './pipeline-helpers';

/** Asset hashes change with the fixture bundle's bytes, not with the stack's design. */
const masked = (json: string) =>
  json
    .replace(/[0-9A-F]{32}\/[0-9a-f]{64}\.zip/g, '<asset-hash>/<sha256>.zip')
    .replace(/"source_code_hash": "[^"]+"/g, '"source_code_hash": "<sha256-base64>"');

describe('synthesized stacks', () => {
  it('aws matches its snapshot', () => {
    expect(masked(synthPipeline(AWS))).toMatchSnapshot();
  });

  it('localstack matches its snapshot', () => {
    expect(masked(synthPipeline(LOCALSTACK))).toMatchSnapshot();
  });
});
