/**
 * `users ...`: the administrator's commands for the lake's institute users (Cognito user pool admin
 * calls). A user signs in with their email address; the read and write institutes are the custom
 * attributes the lake's ReadClaim and WriteClaim outputs name.
 */
import {
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  ListUsersCommand,
  type AttributeType,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { INSTITUTE_NAME_RULE, instituteNameProblem, quotedInstituteName } from '../../contracts/institute-name';
import { countOf } from '../../contracts/wording';
import { InvalidArgumentError, type Command } from '../commander';
import { CliError, UsageError, type CliContext } from '../context';
import { renderTable } from '../output';

/** A user as the tool shows it. `read` / `write` are null when the user has none. */
export interface InstituteUser {
  readonly email: string;
  readonly status: string;
  readonly enabled: boolean;
  readonly read: string | null;
  readonly write: string | null;
  readonly created: string | null;
}

const EMAIL = /^[^\s@"\\]+@[^\s@"\\]+$/;

/** `--email`: an address without spaces or quotes (it is also a ListUsers filter value). */
export function parseEmail(value: string): string {
  if (!EMAIL.test(value)) {
    throw new InvalidArgumentError('Give the user\'s email address, such as alice@example.org.');
  }
  return value;
}

/** `--read` / `--write`: an institute name by the lake's one rule (src/contracts/institute-name.ts). */
export function parseInstitute(value: string): string {
  const problem = instituteNameProblem(value);
  if (problem !== undefined) {
    throw new InvalidArgumentError(`The institute name ${quotedInstituteName(value)} ${problem}; ${INSTITUTE_NAME_RULE}.`);
  }
  return value;
}

function attributeOf(attributes: readonly AttributeType[] | undefined, name: string): string | null {
  return attributes?.find((attribute) => attribute.Name === name)?.Value ?? null;
}

function toInstituteUser(user: UserType, readClaim: string, writeClaim: string): InstituteUser {
  return {
    email: attributeOf(user.Attributes, 'email') ?? user.Username ?? '',
    status: user.UserStatus ?? 'UNKNOWN',
    enabled: user.Enabled ?? true,
    read: attributeOf(user.Attributes, readClaim),
    write: attributeOf(user.Attributes, writeClaim),
    created: user.UserCreateDate ? user.UserCreateDate.toISOString() : null,
  };
}

function usersTable(users: readonly InstituteUser[]): string {
  return renderTable(
    ['EMAIL', 'STATUS', 'ENABLED', 'READ', 'WRITE', 'CREATED'],
    users.map((user) => [
      user.email, user.status, user.enabled ? 'yes' : 'no', user.read ?? '-', user.write ?? '-', user.created?.slice(0, 10) ?? '-',
    ]),
  );
}

function institutesSentence(user: { read: string | null; write: string | null }): string {
  if (user.read === null && user.write === null) return 'no institute (signs in, reads and writes nothing)';
  return [
    user.read !== null ? `reads ${user.read}` : 'reads nothing',
    user.write !== null ? `writes ${user.write}` : 'writes nothing',
  ].join(', ');
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

/** Runs a Cognito call on one user; a missing user becomes a sentence that names the user and the pool. */
async function onUser<T>(email: string, userPoolId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isNamed(error, 'UserNotFoundException')) {
      throw new CliError(`No user ${email} in user pool ${userPoolId}: check the address with \`users list\`.`, { cause: error });
    }
    throw error;
  }
}

/** The user with this email address, or a CliError naming the pool. */
async function findUser(context: CliContext, userPoolId: string, email: string, readClaim: string, writeClaim: string): Promise<InstituteUser> {
  const response = await context.cognito().send(new ListUsersCommand({ UserPoolId: userPoolId, Filter: `email = "${email}"`, Limit: 2 }));
  const user = response.Users?.[0];
  if (!user) {
    throw new CliError(`No user ${email} in user pool ${userPoolId}: check the address with \`users list\`.`);
  }
  return toInstituteUser(user, readClaim, writeClaim);
}

async function listAllUsers(context: CliContext, userPoolId: string): Promise<UserType[]> {
  const users: UserType[] = [];
  let token: string | undefined;
  do {
    const response = await context.cognito().send(new ListUsersCommand({ UserPoolId: userPoolId, PaginationToken: token }));
    users.push(...(response.Users ?? []));
    token = response.PaginationToken;
  } while (token);
  return users;
}

function revocationHint(email: string, delaySeconds: number | undefined): string {
  const within = delaySeconds !== undefined ? `within ${countOf(delaySeconds, 'second')}` : 'within the lake\'s revocation delay';
  return 'Tokens already issued keep working until they expire (tokenValidity, 15 minutes by default); ' +
    `run \`users sign-out --email ${email}\` to end them ${within}.`;
}

interface InstituteOptions {
  readonly email: string;
  readonly read?: string | false;
  readonly write?: string | false;
}

/** Adds the `users` commands to the program. */
export function registerUsersCommands(program: Command, context: CliContext): void {
  const users = program.command('users').description('Create, change, list and sign out the lake\'s institute users');

  users.command('create')
    .description('Create a user; Cognito emails a temporary password (the first sign-in sets a password and TOTP MFA)')
    .requiredOption('--email <address>', 'the user\'s email address (their user name)', parseEmail)
    .option('--read <institute>', 'the institute whose messages the user may read', parseInstitute)
    .option('--write <institute>', 'the institute the user may send messages for', parseInstitute)
    .action(async (options: InstituteOptions) => {
      const lake = await context.resolveLake(['userPoolId', 'readClaim', 'writeClaim']);
      const attributes: AttributeType[] = [{ Name: 'email', Value: options.email }, { Name: 'email_verified', Value: 'true' }];
      if (typeof options.read === 'string') attributes.push({ Name: lake.readClaim, Value: options.read });
      if (typeof options.write === 'string') attributes.push({ Name: lake.writeClaim, Value: options.write });
      let response;
      try {
        response = await context.progress.step(`Creating ${options.email}`, () => context.cognito().send(new AdminCreateUserCommand({
          UserPoolId: lake.userPoolId, Username: options.email, UserAttributes: attributes, DesiredDeliveryMediums: ['EMAIL'],
        })));
      } catch (error) {
        if (isNamed(error, 'UsernameExistsException')) {
          throw new CliError(`User ${options.email} already exists in user pool ${lake.userPoolId}: change their institutes ` +
            'with `users set-institutes`.', { cause: error });
        }
        throw error;
      }
      const user = response.User
        ? toInstituteUser(response.User, lake.readClaim, lake.writeClaim)
        : { email: options.email, status: 'FORCE_CHANGE_PASSWORD', enabled: true, read: options.read || null, write: options.write || null, created: null };
      context.output.result(user, `Created ${user.email}: ${institutesSentence(user)}.\n` +
        `Cognito emailed a temporary password to ${user.email}; at the first sign-in they choose a password and set up TOTP MFA.`);
    });

  // commander keeps only the last of --read X and --no-read: which of them were given is recorded here.
  const given = new Set<string>();
  users.command('set-institutes')
    .on('option:read', () => given.add('read')).on('option:no-read', () => given.add('no-read'))
    .on('option:write', () => given.add('write')).on('option:no-write', () => given.add('no-write'))
    .description('Change the institutes a user may read and write (--no-read / --no-write clear one)')
    .requiredOption('--email <address>', 'the user\'s email address', parseEmail)
    .option('--read <institute>', 'the new read institute', parseInstitute)
    .option('--no-read', 'clear the read institute: the user reads nothing')
    .option('--write <institute>', 'the new write institute', parseInstitute)
    .option('--no-write', 'clear the write institute: the user writes nothing')
    .action(async (options: InstituteOptions) => {
      for (const which of ['read', 'write']) {
        if (given.has(which) && given.has(`no-${which}`)) {
          throw new UsageError(`--${which} INSTITUTE sets the ${which} institute and --no-${which} clears it: give one of them, not both.`);
        }
      }
      if (options.read === undefined && options.write === undefined) {
        throw new UsageError('Give --read INSTITUTE or --write INSTITUTE to set one, or --no-read or --no-write to clear one.');
      }
      const lake = await context.resolveLake(['userPoolId', 'readClaim', 'writeClaim']);
      const set: AttributeType[] = [];
      const clear: string[] = [];
      for (const [value, claim] of [[options.read, lake.readClaim], [options.write, lake.writeClaim]] as const) {
        if (typeof value === 'string') set.push({ Name: claim, Value: value });
        else if (value === false) clear.push(claim);
      }
      const cognito = context.cognito();
      await onUser(options.email, lake.userPoolId, async () => {
        if (set.length > 0) {
          await cognito.send(new AdminUpdateUserAttributesCommand({ UserPoolId: lake.userPoolId, Username: options.email, UserAttributes: set }));
        }
        if (clear.length > 0) {
          // A custom attribute cannot be set to an empty value: clearing it deletes it.
          await cognito.send(new AdminDeleteUserAttributesCommand({
            UserPoolId: lake.userPoolId, Username: options.email, UserAttributeNames: clear,
          }));
        }
      });
      const describe = (value: string | false | undefined) => (value === undefined ? 'unchanged' : value === false ? 'cleared' : value);
      const changed = {
        email: options.email,
        read: options.read === undefined ? 'unchanged' : options.read || null,
        write: options.write === undefined ? 'unchanged' : options.write || null,
      };
      context.output.result(changed, `Updated ${options.email}: read ${describe(options.read)}, write ${describe(options.write)}.\n` +
        revocationHint(options.email, lake.revocationDelaySeconds));
    });

  users.command('disable')
    .description('Stop a user from signing in (the user and their attributes stay)')
    .requiredOption('--email <address>', 'the user\'s email address', parseEmail)
    .action(async (options: { email: string }) => {
      const lake = await context.resolveLake(['userPoolId']);
      await onUser(options.email, lake.userPoolId, () =>
        context.cognito().send(new AdminDisableUserCommand({ UserPoolId: lake.userPoolId, Username: options.email })));
      context.output.result({ email: options.email, enabled: false },
        `Disabled ${options.email}: they can no longer sign in.\n${revocationHint(options.email, lake.revocationDelaySeconds)}`);
    });

  users.command('enable')
    .description('Let a disabled user sign in again')
    .requiredOption('--email <address>', 'the user\'s email address', parseEmail)
    .action(async (options: { email: string }) => {
      const lake = await context.resolveLake(['userPoolId']);
      await onUser(options.email, lake.userPoolId, () =>
        context.cognito().send(new AdminEnableUserCommand({ UserPoolId: lake.userPoolId, Username: options.email })));
      context.output.result({ email: options.email, enabled: true }, `Enabled ${options.email}: they can sign in again.`);
    });

  users.command('delete')
    .description('Delete a user from the user pool (their messages stay in the bucket); without --yes, only say what it would delete')
    .requiredOption('--email <address>', 'the user\'s email address', parseEmail)
    .option('--yes', 'confirm the deletion', false)
    .action(async (options: { email: string; yes: boolean }) => {
      const lake = await context.resolveLake(['userPoolId', 'readClaim', 'writeClaim']);
      const user = await findUser(context, lake.userPoolId, options.email, lake.readClaim, lake.writeClaim);
      const what = `user ${user.email} (${institutesSentence(user)}, ${user.status}) from user pool ${lake.userPoolId}`;
      const stays = `The messages they sent stay in ${lake.bucketName ? `bucket ${lake.bucketName}` : 'the lake\'s bucket'}.`;
      if (!options.yes) {
        // A preview, not a failure: it says exactly what --yes would delete.
        context.output.result({ wouldDelete: user, userPoolId: lake.userPoolId, deleted: false },
          `Would delete ${what}; ${stays.charAt(0).toLowerCase()}${stays.slice(1, -1)}. Nothing was deleted: run it again with --yes to delete.`);
        return;
      }
      await onUser(options.email, lake.userPoolId, () =>
        context.cognito().send(new AdminDeleteUserCommand({ UserPoolId: lake.userPoolId, Username: options.email })));
      const delay = lake.revocationDelaySeconds !== undefined ? countOf(lake.revocationDelaySeconds, 'second') : 'the lake\'s revocation delay';
      context.output.result({ deleted: user, userPoolId: lake.userPoolId },
        `Deleted ${what}. ${stays} Their tokens stop working at the API within ${delay}.`);
    });

  users.command('list')
    .description('List the users, with their institutes')
    // Any value: a user of an earlier release may hold a name outside the rule, and must be found to be fixed.
    .option('--institute <institute>', 'only users who read or write this institute')
    .action(async (options: { institute?: string }) => {
      const lake = await context.resolveLake(['userPoolId', 'readClaim', 'writeClaim']);
      const all = await context.progress.step('Listing users', () => listAllUsers(context, lake.userPoolId));
      const found = all
        .map((user) => toInstituteUser(user, lake.readClaim, lake.writeClaim))
        .filter((user) => options.institute === undefined || user.read === options.institute || user.write === options.institute)
        .sort((a, b) => a.email.localeCompare(b.email));
      const human = found.length > 0
        ? usersTable(found)
        : `No users${options.institute !== undefined ? ` of institute ${options.institute}` : ''} in user pool ${lake.userPoolId}.`;
      context.output.result(found, human);
    });

  users.command('sign-out')
    .description('Sign a user out everywhere (revokes their refresh tokens; the lake refuses their tokens within its revocation delay)')
    .requiredOption('--email <address>', 'the user\'s email address', parseEmail)
    .action(async (options: { email: string }) => {
      const lake = await context.resolveLake(['userPoolId']);
      await onUser(options.email, lake.userPoolId, () =>
        context.cognito().send(new AdminUserGlobalSignOutCommand({ UserPoolId: lake.userPoolId, Username: options.email })));
      const delay = lake.revocationDelaySeconds;
      context.output.result({ email: options.email, signedOut: true, revocationDelaySeconds: delay ?? null },
        `Signed out ${options.email} everywhere: their refresh tokens are revoked, and the lake refuses their current tokens ` +
        `${delay !== undefined ? `within ${countOf(delay, 'second')}` : 'within its revocation delay (credentialCacheTtl, 60 seconds by default)'}.`);
    });
}
