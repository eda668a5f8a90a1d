import { assertMysqlAnswers } from './mysql-server';

export default async function globalSetup(): Promise<void> {
  await assertMysqlAnswers();
}
