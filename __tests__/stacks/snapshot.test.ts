import { AWS, LOCALSTACK, synthPipeline } from './helpers';

/** Asset hashes change with the fixture bundle's bytes and the cdktf version, not with the stack's design. */
const masked = (json: string) => json.replace(/[0-9A-F]{32}/g, '<asset-hash>');

describe('synthesized stacks', () => {
  it('aws matches its snapshot', () => {
    expect(masked(synthPipeline(AWS))).toMatchSnapshot();
  });

  it('localstack matches its snapshot', () => {
    expect(masked(synthPipeline(LOCALSTACK))).toMatchSnapshot();
  });
});
