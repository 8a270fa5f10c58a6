// `headway user ...` and `headway token ...`: accounts in the job database.
#include <termios.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <ctime>
#include <iomanip>
#include <iostream>

#include "auth/accounts.hpp"
#include "cli/commands.hpp"
#include "cli/settings.hpp"
#include "headway/clock.hpp"
#include "store/job_store.hpp"

namespace headway::cli {
namespace {

struct AccountOptions {
  std::string db_url;
  std::string name;
  std::string token_id;
  std::string expires;
  bool admin = false;
  bool generate_password = false;
  bool force = false;
  bool json = false;
};

// HEADWAY_DB (or the deprecated DATABASE_URL), read only by the command
// that runs, so that only it notes a deprecated name.
void read_db_env(AccountOptions& o) {
  if (auto url = getenv_renamed("HEADWAY_DB", "DATABASE_URL", std::cerr))
    o.db_url = *url;
}

// Opens the store or prints why not.
std::unique_ptr<store::JobStore> open_store(const std::string& url) {
  auto opened = store::open_job_store(url);
  if (!opened) {
    std::cerr << "headway: cannot open the database: " << opened.error().message << "\n";
    return nullptr;
  }
  return std::move(*opened);
}

std::optional<std::string> read_line_without_echo(const char* prompt) {
  std::cerr << prompt << std::flush;
  termios saved{};
  const bool terminal = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  const bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (terminal) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!ok)
    return std::nullopt;
  return line;
}

// The new password: generated (the caller prints it once it is stored),
// typed twice at a terminal, or the first line of standard input (for scripts).
std::optional<std::string> obtain_password(bool generate) {
  if (generate)
    return auth::generate_password();
  if (!isatty(STDIN_FILENO)) {
    std::string line;
    if (!std::getline(std::cin, line) || line.empty()) {
      std::cerr << "headway: expected the password on standard input\n";
      return std::nullopt;
    }
    return line;
  }
  auto first = read_line_without_echo("New password: ");
  auto second = read_line_without_echo("Repeat it: ");
  if (!first || !second || *first != *second) {
    std::cerr << "headway: the passwords do not match\n";
    return std::nullopt;
  }
  return first;
}

int fail(const store::Error& error) {
  std::cerr << "headway: " << error.message << "\n";
  return error.code == store::ErrorCode::invalid_argument ? 2 : 1;
}

int user_add(const AccountOptions& o) {
  // Checked before asking for a password (create_user checks again).
  if (!auth::valid_user_name(o.name)) {
    std::cerr << "headway: " << auth::kUserNameRule << "\n";
    return 2;
  }
  auto db = open_store(o.db_url);
  if (!db)
    return 1;
  if (auto existing = db->auth().get_user(o.name)) {
    std::cerr << "headway: user '" << o.name << "' already exists\n";
    return 1;
  }
  auto password = obtain_password(o.generate_password);
  if (!password)
    return 2;
  auto user = auth::create_user(db->auth(), o.name,
                                o.admin ? store::Role::admin : store::Role::user, *password);
  if (!user)
    return fail(user.error());
  std::cerr << "created " << store::to_string(user->role) << " '" << user->name << "'\n";
  if (o.generate_password)
    std::cout << "password: " << *password << "\n";
  return 0;
}

int user_passwd(const AccountOptions& o) {
  auto db = open_store(o.db_url);
  if (!db)
    return 1;
  auto password = obtain_password(o.generate_password);
  if (!password)
    return 2;
  if (auto changed = auth::change_password(db->auth(), o.name, *password); !changed) {
    return fail(changed.error());
  }
  std::cerr << "password changed for '" << o.name << "'; their sessions were ended\n";
  if (o.generate_password)
    std::cout << "password: " << *password << "\n";
  return 0;
}

int user_remove(const AccountOptions& o) {
  auto db = open_store(o.db_url);
  if (!db)
    return 1;
  const auto jobs = o.force ? store::OwnedJobs::remove : store::OwnedJobs::refuse;
  if (auto removed = db->auth().remove_user(o.name, jobs); !removed) {
    if (removed.error().code == store::ErrorCode::conflict) {
      std::cerr << "headway: " << removed.error().message << "; `headway user remove " << o.name
                << " --force` removes them with the user\n";
      return 1;
    }
    return fail(removed.error());
  }
  std::cerr << "removed '" << o.name << "' with their tokens and sessions"
            << (o.force ? " and jobs" : "") << "\n";
  return 0;
}

int token_create(const AccountOptions& o) {
  auto db = open_store(o.db_url);
  if (!db)
    return 1;
  const double now = system_clock()->now();
  std::optional<double> expires_at;
  if (!o.expires.empty() && o.expires != "never") {
    auto seconds = auth::parse_duration_seconds(o.expires);
    if (!seconds) {
      std::cerr << "headway: --expires takes a duration like 30d, 12h, 45m or 90s\n";
      return 2;
    }
    expires_at = now + *seconds;
  }
  auto issued = auth::issue_token(db->auth(), o.name, expires_at, now);
  if (!issued)
    return fail(issued.error());
  std::cerr << "token " << issued->token.id << " for '" << o.name << "'"
            << (expires_at ? ", expires in " + o.expires : ", does not expire")
            << "; it is shown only now:\n";
  std::cout << issued->secret << "\n";
  return 0;
}

int token_revoke(const AccountOptions& o) {
  auto db = open_store(o.db_url);
  if (!db)
    return 1;
  auto revoked = db->auth().revoke_token(o.token_id, system_clock()->now());
  if (!revoked)
    return fail(revoked.error());
  std::cerr << (*revoked ? "revoked " : "already revoked: ") << o.token_id << "\n";
  return 0;
}

int token_list(const AccountOptions& o) {
  auto db = open_store(o.db_url);
  if (!db)
    return 1;
  auto tokens = db->auth().list_tokens(o.name);
  if (!tokens)
    return fail(tokens.error());
  const double now = system_clock()->now();
  const auto state_of = [now](const store::ApiToken& token) {
    return token.revoked_at                               ? "revoked"
           : token.expires_at && *token.expires_at <= now ? "expired"
                                                          : "active";
  };
  if (o.json) {
    // Times in Unix seconds, null when unset, as the HTTP API writes them.
    const auto time_or_null = [](const std::optional<double>& t) {
      return t ? boost::json::value(*t) : boost::json::value(nullptr);
    };
    boost::json::array list;
    for (const auto& token : *tokens) {
      list.push_back(boost::json::object{{"id", token.id},
                                         {"user", token.user},
                                         {"created_at", token.created_at},
                                         {"expires_at", time_or_null(token.expires_at)},
                                         {"revoked_at", time_or_null(token.revoked_at)},
                                         {"state", state_of(token)}});
    }
    std::cout << boost::json::serialize(list) << "\n";
    return 0;
  }
  std::cout << std::left << std::setw(38) << "ID" << std::setw(22) << "CREATED"
            << "STATE\n";
  for (const auto& token : *tokens) {
    const char* state = state_of(token);
    // Formatted first: std::setw does not pad std::put_time's output.
    const auto created_at = static_cast<std::time_t>(token.created_at);
    char created[32];
    std::strftime(created, sizeof created, "%Y-%m-%d %H:%M UTC", std::gmtime(&created_at));
    std::cout << std::setw(38) << token.id << std::setw(22) << created << state << "\n";
  }
  return 0;
}

CLI::App* add_db_option(CLI::App* cmd, const std::shared_ptr<AccountOptions>& o) {
  cmd->add_option("--db", o->db_url, "Job database URL (env HEADWAY_DB)")->capture_default_str();
  cmd->preparse_callback([o](std::size_t) { read_db_env(*o); });
  return cmd;
}

}  // namespace

void register_user(CLI::App& app) {
  auto o = std::make_shared<AccountOptions>();
  o->db_url = "headway.db";
  auto* user = app.add_subcommand("user", "Manage users (in the job database)");
  user->require_subcommand(1);

  auto* add = add_db_option(user->add_subcommand("add", "Add a user"), o);
  add->add_option("name", o->name, "User name")->required();
  add->add_flag("--admin", o->admin, "Make the user an admin (sees every job)");
  add->add_flag("--generate-password", o->generate_password, "Generate a password and print it");
  add->callback([o] { set_exit_code(user_add(*o)); });

  auto* passwd = add_db_option(user->add_subcommand("passwd", "Change a user's password"), o);
  passwd->add_option("name", o->name, "User name")->required();
  passwd->add_flag("--generate-password", o->generate_password, "Generate a password and print it");
  passwd->callback([o] { set_exit_code(user_passwd(*o)); });

  auto* remove = add_db_option(
      user->add_subcommand("remove", "Remove a user with their tokens and sessions"), o);
  remove->add_option("name", o->name, "User name")->required();
  remove->add_flag("--force", o->force,
                   "Also remove the user's jobs (without it, a user who owns jobs is kept)");
  remove->callback([o] { set_exit_code(user_remove(*o)); });

  auto* token = app.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* create = add_db_option(token->add_subcommand("create", "Create a token for a user"), o);
  create->add_option("name", o->name, "User name")->required();
  create->add_option("--expires", o->expires, "Lifetime: 30d, 12h, 45m, 90s or never (default)");
  create->callback([o] { set_exit_code(token_create(*o)); });

  auto* revoke = add_db_option(token->add_subcommand("revoke", "Revoke a token"), o);
  revoke->add_option("id", o->token_id, "Token id (from `token list`)")->required();
  revoke->callback([o] { set_exit_code(token_revoke(*o)); });

  auto* list = add_db_option(token->add_subcommand("list", "List a user's tokens"), o);
  list->add_option("name", o->name, "User name")->required();
  list->add_flag("--json", o->json,
                 "Print a JSON array of {id, user, created_at, expires_at, revoked_at, state}");
  list->callback([o] { set_exit_code(token_list(*o)); });
}

}  // namespace headway::cli
