import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLegacyLocalState } from '../../bin/lib/terraform';

describe('checkLegacyLocalState', () => {
  const project = () => {
    const root = mkdtempSync(join(tmpdir(), 'legacy-state-'));
    const dir = join(root, 'cdktf.out', 'stacks', 'localstack');
    mkdirSync(dir, { recursive: true });
    return { root, dir };
  };
  const json = { terraform: { backend: { local: { path: '../../../terraform.localstack.ap-northeast-2.tfstate' } } } };

  it('stops a deploy that would ignore the state of the earlier layout, with the move that fixes it', () => {
    const { root, dir } = project();
    writeFileSync(join(root, 'terraform.localstack.tfstate'), '{}');
    expect(() => checkLegacyLocalState(json, dir)).toThrow(
      `Move it once: mv ${join(root, 'terraform.localstack.tfstate')} ${join(root, 'terraform.localstack.ap-northeast-2.tfstate')}`,
    );
  });

  it('lets it through once the state is per region, or when there is no earlier state', () => {
    const { root, dir } = project();
    expect(() => checkLegacyLocalState(json, dir)).not.toThrow();
    writeFileSync(join(root, 'terraform.localstack.tfstate'), '{}');
    writeFileSync(join(root, 'terraform.localstack.ap-northeast-2.tfstate'), '{}');
    expect(() => checkLegacyLocalState(json, dir)).not.toThrow();
    expect(() => checkLegacyLocalState({ terraform: { backend: { s3: { bucket: 'b' } } } }, dir)).not.toThrow();
  });
});
