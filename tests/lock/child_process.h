// A child process for multi-process tests: fork + exec with its stdin and
// stdout on pipes, so the test can read its progress lines and tell it when
// to go on. Killed (SIGKILL) and reaped by the destructor if still running.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace datashard::lock_test {

class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[0]);
      close(in[1]);
      close(out[0]);
      close(out[1]);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_child_ = fdopen(in[1], "w");
    from_child_ = fdopen(out[0], "r");
  }
  ~ChildProcess() {
    if (to_child_ != nullptr) fclose(to_child_);
    if (from_child_ != nullptr) fclose(from_child_);
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// The next line the child printed, without the newline; "" at end of output.
  std::string ReadLine() {
    std::string line;
    int c;
    while ((c = fgetc(from_child_)) != EOF && c != '\n') line.push_back(static_cast<char>(c));
    return line;
  }

  void WriteLine(const std::string& line) {
    fputs((line + "\n").c_str(), to_child_);
    fflush(to_child_);
  }

  /// Waits for the child; its exit code, or -signal if a signal ended it.
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  FILE* to_child_ = nullptr;
  FILE* from_child_ = nullptr;
};

}  // namespace datashard::lock_test
